// Calls to the server. Every POST carries the anti-forgery token in a header; cookies are SameSite=Strict.
import { parseExactJson } from './exact-json.js';

let csrf = null;

// This page's own name, sent with every POST: the server passes it on with the conversation's "saved" events, so the page can
// tell its own saves (already on screen) from those made elsewhere (the approver's console).
export const pageId = Array.from(crypto.getRandomValues(new Uint8Array(12)), b => b.toString(16).padStart(2, '0')).join('');

export async function refreshCsrf() {
  const response = await fetch('/api/approvals/antiforgery', { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`Could not get an anti-forgery token (HTTP ${response.status}).`);
  const token = await response.json();
  csrf = { header: token.headerName, value: token.token };
}

// retryOnce: for requests the server refuses to carry out twice (a decision, a resume), never for a chat message.
export async function post(url, body, { retryOnce = false } = {}) {
  if (!csrf) await refreshCsrf();
  const send = () => fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', [csrf.header]: csrf.value, 'X-Chat-Page': pageId },
    body: JSON.stringify(body ?? {}),
  });
  if (!retryOnce) return send();
  try {
    return await send();
  } catch {
    // No answer at all (fetch rejects only for network errors), e.g. a connection kept open to a server that has since
    // restarted: send it once more. The server refuses a decision or resume that already took effect (409), so a repeat
    // does nothing twice.
    return await send();
  }
}

export async function getJson(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  return { response, body: response.ok ? parseExactJson(await response.text()) : null };
}

export async function describeProblem(response) {
  try {
    const problem = await response.json();
    return `${problem.title ?? `HTTP ${response.status}`}${problem.detail ? ` ${problem.detail}` : ''}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

export async function signIn(name, approver) {
  const response = await fetch('/account/signin', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, approver }),
  });
  if (!response.ok) throw new Error(await describeProblem(response));
  csrf = null;
  await refreshCsrf();
  return response.json();
}

export async function signOut() {
  await post('/account/signout');
  csrf = null;
}
