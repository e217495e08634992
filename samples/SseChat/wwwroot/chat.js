import { readEvents } from './sse.js';
import { getJson, post, describeProblem, signIn, signOut, refreshCsrf } from './api.js';
import { renderApprovalCard } from './approval-card.js';

const $ = (selector) => document.querySelector(selector);
const log = $('#log');
const composer = $('#composer');
const input = $('#message');
let conversationId = localStorage.getItem('ssechat.conversation');

function add(className, text) {
  const node = document.createElement('div');
  node.className = className;
  node.textContent = text;
  log.append(node);
  node.scrollIntoView({ block: 'end' });
  return node;
}

function setBusy(busy) {
  input.disabled = busy;
  $('#send').disabled = busy;
  if (!busy) input.focus();
}

function setConversation(id) {
  if (!id) return;
  conversationId = id;
  localStorage.setItem('ssechat.conversation', id);
}

// Shows a streamed answer: text deltas, tool activity, and how it ended (done, a pause with its card, or an error).
async function consume(response) {
  let bubble = null;
  let messageId = null;
  let paused = false;
  for await (const { event, data } of readEvents(response)) {
    switch (event) {
      case 'text':
        if (!bubble || data.messageId !== messageId) { bubble = add('msg assistant', ''); messageId = data.messageId; }
        bubble.textContent += data.text;
        bubble.scrollIntoView({ block: 'end' });
        break;
      case 'tool_call':
        add('tool', `→ ${data.name}(${JSON.stringify(data.arguments)})`);
        bubble = null;
        break;
      case 'tool_result':
        add('tool', `← ${typeof data.result === 'string' ? data.result : JSON.stringify(data.result)}`);
        bubble = null;
        break;
      case 'approval_required':
        paused = true;
        setConversation(data.conversationId);
        log.append(renderApprovalCard(data, { onResumed: consume }));
        log.lastChild.scrollIntoView({ block: 'end' });
        break;
      case 'done':
        setConversation(data.conversationId);
        add('done', '');
        break;
      case 'error':
        add('error', `${data.title}${data.detail ? ` ${data.detail}` : ''}`);
        break;
    }
  }
  setBusy(paused);
}

async function send(text) {
  add('msg user', text);
  setBusy(true);
  const response = await post('/chat', { conversationId, message: text });
  if (!response.ok) {
    add('error', await describeProblem(response));
    setBusy(false);
    return;
  }
  setConversation(response.headers.get('X-Conversation-Id'));
  await consume(response);
}

async function restore() {
  log.replaceChildren();
  if (!conversationId) return;
  const { response, body } = await getJson(`/chat/${encodeURIComponent(conversationId)}`);
  if (!response.ok) { localStorage.removeItem('ssechat.conversation'); conversationId = null; return; }
  for (const message of body.messages) add(`msg ${message.role}`, message.text);
  if (body.pendingApprovalId) {
    const approval = await getJson(`/api/approvals/${encodeURIComponent(body.pendingApprovalId)}`);
    if (approval.response.ok && ['Pending', 'Decided'].includes(approval.body.status)) {
      log.append(renderApprovalCard(approval.body, { onResumed: consume }));
      setBusy(true);
    }
  }
}

async function showChat(account) {
  $('#signin').hidden = true;
  $('#chat').hidden = false;
  $('#who').textContent = `${account.name}${account.roles.includes('approver') ? ' (approver)' : ''}`;
  await refreshCsrf();
  await restore();
  setBusy(log.querySelector('.approval-card:not(.resolved)') !== null);
}

$('#signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    showChat(await signIn($('#name').value, $('#approver').checked));
  } catch (error) {
    $('#signin-error').textContent = error.message;
  }
});

$('#signout').addEventListener('click', async () => {
  await signOut();
  location.reload();
});

$('#new-chat').addEventListener('click', () => {
  localStorage.removeItem('ssechat.conversation');
  conversationId = null;
  log.replaceChildren();
  setBusy(false);
});

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  send(text);
});

const me = await fetch('/account/me', { credentials: 'same-origin' });
if (me.ok) await showChat(await me.json());
else { $('#signin').hidden = false; $('#name').focus(); }
document.body.dataset.ready = 'true';
