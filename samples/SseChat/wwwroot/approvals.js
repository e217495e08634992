// The inbox: every pending approval this approver may see, from any session. Deciding here resumes the other
// session's conversation on the server; its answer is shown below the card (and saved to that conversation).
import { readEvents } from './sse.js';
import { getJson, describeProblem, refreshCsrf } from './api.js';
import { renderApprovalCard } from './approval-card.js';

const inbox = document.querySelector('#inbox');
const more = document.querySelector('#more');
const status = document.querySelector('#inbox-status');
let continuationToken = null;

async function showAnswer(response, card) {
  const answer = document.createElement('div');
  answer.className = 'resumed-answer';
  card.append(answer);
  for await (const { event, data } of readEvents(response)) {
    if (event === 'text') answer.textContent += data.text;
    else if (event === 'approval_required') card.after(renderApprovalCard(data, { onResumed: showAnswer }));
    else if (event === 'error') answer.textContent += ` [${data.title}]`;
    else if (event === 'done') answer.classList.add('done'); // the server has saved the conversation
  }
}

async function load() {
  const query = new URLSearchParams({ status: 'Pending', pageSize: '20' });
  if (continuationToken) query.set('continuationToken', continuationToken);
  const { response, body } = await getJson(`/api/approvals?${query}`);
  if (!response.ok) {
    status.textContent = response.status === 401 ? 'Sign in on the chat page first.' : await describeProblem(response);
    return;
  }
  for (const item of body.items) {
    const detail = await getJson(`/api/approvals/${encodeURIComponent(item.id)}`);
    const view = detail.response.ok ? detail.body : item;
    inbox.append(renderApprovalCard(view, { onResumed: showAnswer, excerpt: view.excerpt }));
  }
  continuationToken = body.continuationToken;
  more.hidden = !continuationToken;
  status.textContent = inbox.children.length === 0 ? 'Nothing is waiting for a decision.' : '';
}

more.addEventListener('click', load);
const me = await fetch('/account/me', { credentials: 'same-origin' });
if (me.ok) { await refreshCsrf(); await load(); } else status.textContent = 'Sign in on the chat page first.';
document.body.dataset.ready = 'true';
