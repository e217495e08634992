// The approver's console: the inbox (filters, pages, a live count), one approval at a time, live updates by server push.
import { base, getJson, describeProblem } from './api.js';
import { el, timeLeft, statusText } from './view.js';
import { renderApproval, loadSchemas } from './detail.js';
import { showPage } from './pages.js';

const items = document.querySelector('#items');
const more = document.querySelector('#more');
const waiting = document.querySelector('#waiting');
const inboxStatus = document.querySelector('#inbox-status');
const filters = document.querySelector('#filters');
const detail = document.querySelector('#detail');
const detailTitle = document.querySelector('#detail-title');
const detailBody = document.querySelector('#detail-body');
const notice = document.querySelector('#notice');
const live = document.querySelector('#live');
let session = null;
let continuationToken = null;
let openId = null;

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

function query(token) {
  const form = new FormData(filters);
  const params = new URLSearchParams();
  for (const name of ['status', 'tool', 'tenant', 'requestedBy', 'olderThan']) if (form.get(name)) params.set(name, form.get(name));
  if (form.get('mine')) params.set('mine', 'true');
  if (token) params.set('continuationToken', token);
  return params;
}

function renderItem(item) {
  const tools = [...new Set(item.calls.map(c => c.toolName))].join(', ');
  const deadline = item.status === 'Pending' ? timeLeft(item.expiresAt) : new Date(item.updatedAt).toLocaleString();
  const name = `${tools}, requested by ${item.requestedBy ?? 'unknown'}${item.tenantId ? ` in ${item.tenantId}` : ''}, ${statusText(item.status)}, ${deadline}`;
  const button = el('button', { type: 'button', class: 'item', 'data-approval-id': item.id, 'aria-current': item.id === openId ? 'true' : null, 'aria-label': name },
    el('span', { class: 'item-tools', text: tools }),
    el('span', { class: 'item-meta', text: `by ${item.requestedBy ?? 'unknown'}${item.tenantId ? ` · ${item.tenantId}` : ''} · ${statusText(item.status)}` }),
    el('span', { class: 'item-deadline', text: deadline }));
  button.addEventListener('click', () => {
    const hash = `#/approval/${encodeURIComponent(item.id)}`;
    if (location.hash === hash) route(); else location.hash = hash; // the same item again: no hashchange, open it anyway
  });
  return el('li', {}, button);
}

async function loadInbox(append = false) {
  const { response, body } = await getJson(`/api/approvals?${query(append ? continuationToken : null)}`);
  if (!response.ok) {
    inboxStatus.textContent = describeProblem(response, body);
    return;
  }
  if (!append) {
    items.replaceChildren();
    waiting.textContent = `${body.waiting}${body.waitingCapped ? '+' : ''} waiting`;
  }
  for (const item of body.items) items.append(renderItem(item));
  continuationToken = body.continuationToken;
  more.hidden = !continuationToken;
  inboxStatus.textContent = items.children.length === 0 ? 'Nothing matches these filters.' : '';
}

async function openApproval(id, { focus = true, keepRefusal = false } = {}) {
  // A refusal shown on this approval stays when the page reads it again after a change (it says why the click did nothing).
  const kept = keepRefusal ? detailBody.querySelector(`.approval[data-approval-id="${CSS.escape(id)}"] .refusal`) : null;
  const refusal = kept ? { text: kept.textContent, callId: kept.dataset.callId, closed: kept.dataset.closed === 'true' } : null;
  openId = id;
  for (const button of items.querySelectorAll('button.item')) button.toggleAttribute('aria-current', button.dataset.approvalId === id);
  const { response, body } = await getJson(`/api/approvals/${encodeURIComponent(id)}`);
  if (!response.ok) {
    detailTitle.textContent = 'Approval not available';
    detailBody.replaceChildren(el('p', { class: 'refused', role: 'alert', text: describeProblem(response, body) }));
    return;
  }
  detailTitle.textContent = `Approval ${body.id}`;
  const schemas = await loadSchemas(body, session);
  detailBody.replaceChildren(renderApproval(body, session, { onChanged, schemas, refusal }));
  if (focus) detail.focus();
}

// After the user's own decision or a refusal of it, the page shows the approval as it is now: an older notice is stale.
function onChanged() {
  showNotice('');
  return loadInbox();
}

function route() {
  if (showPage(location.hash, session)) return;
  const match = /^#\/approval\/(.+)$/.exec(location.hash);
  if (match) openApproval(decodeURIComponent(match[1]));
}

// Server push: the server tells the page an approval changed (created, decided, expired...); the page reads it again.
function listen() {
  const events = new EventSource(`${base}/api/events`, { withCredentials: true });
  events.addEventListener('open', () => { live.textContent = 'Live'; live.classList.add('on'); });
  events.addEventListener('error', () => { live.textContent = 'Reconnecting…'; live.classList.remove('on'); });
  events.addEventListener('changed', async (event) => {
    const change = JSON.parse(event.data);
    await loadInbox();
    const shown = detailBody.querySelector('.approval');
    // An open approval is read again, unless the change is the user's own decision or resume (the page shows its outcome), or
    // they are writing in it (then they are told, and the server refuses a decision on a call that changed).
    if (change.approvalId !== openId || !shown || document.body.dataset.acting === 'true' || detailBody.querySelector('.resumed-answer')) return;
    if (detailBody.querySelector('textarea:focus')) showNotice('This approval changed since you opened it. Open it again to see what changed.');
    else await openApproval(openId, { focus: false, keepRefusal: true });
  });
}

// Back from the call view to its inbox item (Escape, or the button at the top of the call view), for the keyboard.
const backToInbox = () => (items.querySelector('button.item[aria-current]') ?? items.querySelector('button.item') ?? filters)?.focus();
document.querySelector('#back').addEventListener('click', backToInbox);
detail.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !event.target.closest('input, select, textarea')) backToInbox();
});
filters.addEventListener('submit', (event) => { event.preventDefault(); loadInbox(); });
more.addEventListener('click', () => loadInbox(true));
window.addEventListener('hashchange', route);

const start = await getJson('/api/session');
if (!start.response.ok) {
  showNotice(describeProblem(start.response, start.body));
} else {
  session = start.body;
  document.querySelector('#who').textContent = `${session.user ?? ''}${session.readOnly ? ' (read-only)' : ''}`;
  if (session.readOnly) document.body.classList.add('read-only');
  await loadInbox();
  listen();
  route();
}
document.body.dataset.ready = 'true';
