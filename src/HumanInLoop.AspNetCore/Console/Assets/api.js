// The console's calls to its own server (same origin, cookies). Every POST carries the anti-forgery token in its header.
import { parseExactJson } from './exact-json.js';

export const base = document.body.dataset.base ?? '';
let csrf = null;

async function refreshCsrf() {
  const response = await fetch(`${base}/api/antiforgery`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`Could not get an anti-forgery token (HTTP ${response.status}).`);
  const token = await response.json();
  csrf = { header: token.headerName, value: token.token };
}

export async function getJson(path) {
  const response = await fetch(`${base}${path}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const text = await response.text();
  let body = null;
  try { body = text ? parseExactJson(text) : null; } catch { body = null; }
  return { response, body };
}

export async function post(path, body) {
  if (!csrf) await refreshCsrf();
  return fetch(`${base}${path}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', [csrf.header]: csrf.value },
    body: JSON.stringify(body ?? {}),
  });
}

// A refusal as a sentence for the page: the problem's title and detail, never a stack trace.
export function describeProblem(response, body) {
  if (body && (body.title || body.detail)) return [body.title, body.detail].filter(Boolean).join(' ');
  if (response.status === 401) return 'You are not signed in. Sign in and open the console again.';
  if (response.status === 403) return 'You may not do this.';
  return `The server refused the request (HTTP ${response.status}).`;
}

// The problem details of a refused request, or null when its body is not JSON.
export async function readProblem(response) {
  try { return await response.json(); } catch { return null; }
}

export async function problemOf(response) {
  return describeProblem(response, await readProblem(response));
}

// Reads Server-Sent Events from a fetch() response (a resume answers a POST, which EventSource cannot send).
export async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + value).replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length > 0) yield { event, data: parseExactJson(data.join('\n')) };
    }
  }
}
