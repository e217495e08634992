import { readEvents } from './sse.js';
import { getJson, post, describeProblem, signIn, signOut, refreshCsrf, pageId } from './api.js';
import { renderApprovalCard } from './approval-card.js';

const $ = (selector) => document.querySelector(selector);
const log = $('#log');
const composer = $('#composer');
const input = $('#message');
let conversationId = localStorage.getItem('ssechat.conversation');
let events = null;      // the conversation's change feed (EventSource)
let streaming = 0;      // this page is streaming an answer of its own
let refreshing = false; // a read of the conversation is under way
let refreshAgain = false;
let lastChange = null;  // the latest change heard, for the words on a customer's card

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

const cardOptions = () => ({ onResumed: consume, onResumedElsewhere: () => refresh() });

// What the requester reads on their card when the approval changed elsewhere and they may not read the approval itself.
const statusWords = {
  Decided: 'Decided by a teller; the answer follows.',
  Executing: 'Approved; running it now…',
  Completed: 'Done; the answer follows.',
  Expired: 'Expired: nobody decided in time. Nothing ran.',
  Cancelled: 'Withdrawn. Nothing ran.',
  InDoubt: 'Interrupted while running; a teller will check it.',
};

// The conversation's change feed: when its approval is decided or the conversation is saved by someone else (the approver's
// console resuming it), the page reads the conversation again and shows the answer. No reload, no polling.
function listen() {
  if (events?.conversationId === conversationId && events.readyState !== EventSource.CLOSED) return;
  events?.close();
  events = null;
  if (!conversationId) return;
  const source = new EventSource(`/chat/${encodeURIComponent(conversationId)}/events`, { withCredentials: true });
  source.conversationId = conversationId;
  let opened = false;
  source.addEventListener('open', () => {
    // On a reconnect, or when the page waits for a decision, read again what may have changed while not listening.
    if (opened || log.querySelector('.approval-card:not(.resolved)')) refresh();
    opened = true;
    document.body.dataset.listening = 'true';
  });
  source.addEventListener('error', () => { document.body.dataset.listening = 'false'; });
  source.addEventListener('changed', (event) => {
    const change = JSON.parse(event.data);
    if (change.origin !== pageId) refresh(change);
  });
  // The answer of a resume made elsewhere, as it streams: shown in a bubble marked live, replaced by the saved one at the end.
  source.addEventListener('text', (event) => {
    const piece = JSON.parse(event.data);
    if (piece.origin === pageId || streaming > 0) return;
    let bubble = log.querySelector(`.msg.assistant.live[data-message-id="${CSS.escape(piece.messageId ?? '')}"]`);
    if (!bubble) {
      bubble = add('msg assistant live', '');
      bubble.dataset.messageId = piece.messageId ?? '';
    }
    bubble.textContent += piece.text;
    bubble.scrollIntoView({ block: 'end' });
  });
  events = source;
}

// Reads the conversation again (one read at a time; changes that arrive meanwhile cause one more read). Skipped while this page
// shows work of its own (its stream, its card's decision or resume): that work ends by showing its outcome.
async function refresh(change) {
  lastChange = change ?? lastChange;
  if (streaming > 0 || log.querySelector('.approval-card[data-acting]')) return;
  if (refreshing) { refreshAgain = true; return; }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      await catchUp(lastChange);
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

async function catchUp(change) {
  const id = conversationId;
  const { response, body } = await getJson(`/chat/${encodeURIComponent(id)}`);
  if (!response.ok || id !== conversationId || streaming > 0) return;
  const card = log.querySelector('.approval-card:not(.resolved)');
  if (body.pendingApprovalId && card?.dataset.approvalId === body.pendingApprovalId) {
    const approval = await getJson(`/api/approvals/${encodeURIComponent(body.pendingApprovalId)}`);
    if (!approval.response.ok) {
      // A customer may not read approvals: the card stays, with what the change said.
      const words = statusWords[change?.status];
      if (words) card.querySelector('.approval-status').textContent = words;
      return;
    }
    // Still waiting: the card on screen is current, and drawing it again would lose what the user is typing in it.
    if (approval.body.status === 'Pending') return;
  }
  await show(body);
}

// Shows a streamed answer: text deltas, tool activity, and how it ended (done, a pause with its card, or an error).
async function consume(response) {
  streaming += 1;
  try { await consumeNow(response); } finally { streaming -= 1; }
  listen(); // the conversation is saved by now (the server saves it before the stream's last event)
}

async function consumeNow(response) {
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
        log.append(renderApprovalCard(data, cardOptions()));
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
  await show(body);
  listen();
}

// Shows the conversation as the server saved it, and the approval it waits for: its card (Pending or Decided, for a user who
// may read it), or a line saying what it waits for.
async function show(body) {
  const nodes = body.messages.map(message => Object.assign(document.createElement('div'), { className: `msg ${message.role}`, textContent: message.text }));
  if (body.pendingApprovalId) {
    const approval = await getJson(`/api/approvals/${encodeURIComponent(body.pendingApprovalId)}`);
    if (approval.response.ok && ['Pending', 'Decided'].includes(approval.body.status)) {
      nodes.push(renderApprovalCard(approval.body, cardOptions()));
    } else {
      const card = Object.assign(document.createElement('div'), { className: 'approval-card waiting' });
      card.dataset.approvalId = body.pendingApprovalId;
      const status = Object.assign(document.createElement('div'), { className: 'approval-status',
        textContent: statusWords[approval.body?.status] ?? 'Waiting for a teller\'s decision.' });
      status.setAttribute('role', 'status');
      card.append(Object.assign(document.createElement('div'), { className: 'approval-title', textContent: 'Approval needed' }), status);
      nodes.push(card);
    }
  }
  log.replaceChildren(...nodes);
  log.lastChild?.scrollIntoView({ block: 'end' });
  setBusy(body.pendingApprovalId != null);
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
  events?.close();
  events = null;
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
