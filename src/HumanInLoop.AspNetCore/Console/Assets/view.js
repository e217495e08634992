// Shows JSON values exactly: numbers as the server wrote them, strings whole (long ones folded, expandable), objects and
// arrays as a tree. Nothing is rounded, cut or reformatted in a way that changes what will run.
import { ExactNumber } from './exact-json.js';

const LongText = 160;

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function scalar(value) {
  if (value instanceof ExactNumber) return el('span', { class: 'json-number', text: value.text });
  if (typeof value === 'number') return el('span', { class: 'json-number', text: String(value) });
  if (typeof value === 'boolean') return el('span', { class: 'json-bool', text: String(value) });
  if (value === null) return el('span', { class: 'json-null', text: 'null' });
  const text = String(value);
  if (text.length <= LongText) return el('span', { class: 'json-string', text: JSON.stringify(text) });
  // Folded, never cut: the button shows the whole text in place.
  const shown = el('span', { class: 'json-string folded', text: JSON.stringify(text.slice(0, LongText)).slice(0, -1) + '…' });
  const toggle = el('button', { type: 'button', class: 'link expand', 'aria-expanded': 'false', text: `Show all ${text.length} characters` });
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    shown.textContent = open ? JSON.stringify(text) : JSON.stringify(text.slice(0, LongText)).slice(0, -1) + '…';
    shown.classList.toggle('folded', !open);
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Fold' : `Show all ${text.length} characters`;
  });
  return el('span', {}, shown, ' ', toggle);
}

function isContainer(value) {
  return value !== null && typeof value === 'object' && !(value instanceof ExactNumber);
}

export function jsonTree(value) {
  if (!isContainer(value)) return scalar(value);
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const list = el('ul', { class: 'json-tree', role: 'group' });
  if (entries.length === 0) return el('span', { class: 'json-empty', text: Array.isArray(value) ? '[]' : '{}' });
  for (const [key, item] of entries) {
    const name = el('span', { class: 'json-key', text: Array.isArray(value) ? `[${key}]` : key });
    list.append(el('li', { 'data-key': key }, name, el('span', { class: 'json-sep', text: ': ' }), jsonTree(item)));
  }
  return list;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Every path whose value differs between the proposed and the approved arguments.
export function differences(proposed, approved, path = '') {
  if (isContainer(proposed) && isContainer(approved) && Array.isArray(proposed) === Array.isArray(approved)) {
    const keys = [...new Set([...Object.keys(proposed), ...Object.keys(approved)])].sort();
    return keys.flatMap(key => differences(proposed[key], approved[key], path ? `${path}.${key}` : key));
  }
  return same(proposed, approved) ? [] : [{ path: path || '(all)', proposed, approved }];
}

export function diffTable(proposed, approved) {
  const rows = differences(proposed, approved);
  const table = el('table', { class: 'diff' },
    el('caption', { text: 'Changed by the approver' }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Argument' }), el('th', { scope: 'col', text: 'Proposed' }), el('th', { scope: 'col', text: 'Approved (runs)' }))));
  const body = el('tbody');
  for (const row of rows) {
    const cell = value => el('td', {}, value === undefined ? el('em', { text: '(absent)' }) : jsonTree(value));
    body.append(el('tr', {}, el('th', { scope: 'row', text: row.path }), cell(row.proposed), cell(row.approved)));
  }
  table.append(body);
  return table;
}

export function timeLeft(expiresAt, now = Date.now()) {
  const ms = new Date(expiresAt).getTime() - now;
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h left`;
  if (h > 0) return `${h} h ${m} min left`;
  return m > 0 ? `${m} min ${s % 60} s left` : `${s} s left`;
}

// Human words for the states the server names (the raw name stays in a data attribute for scripts and tests).
const statusWords = {
  Pending: 'Waiting for a decision', Decided: 'Decided, not yet resumed', Executing: 'Running the approved calls',
  Completed: 'Done: resumed, the conversation moved on', InDoubt: 'In doubt: check whether it ran', Expired: 'Expired: nothing ran',
  Cancelled: 'Cancelled: nothing ran',
};
const decisionWords = {
  AutoAllowed: 'Allowed by a policy', Denied: 'Denied by a policy', AwaitingApproval: 'Waiting for approval', Approved: 'Approved',
  Rejected: 'Rejected', Expired: 'Expired undecided', Responded: 'Answered instead of run',
};
export const statusText = status => statusWords[status] ?? status;
export const decisionText = decision => decisionWords[decision] ?? decision;
