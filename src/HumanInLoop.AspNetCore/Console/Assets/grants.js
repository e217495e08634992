// The standing grants ("don't ask again"), newest first, and their revoke (with a reason) for a user who may decide.
// The revoke is the grant endpoints' own; the server checks the approver policy and the anti-forgery token again.
import { getJson, post, describeProblem, problemOf } from './api.js';
import { el, jsonTree } from './view.js';

function bounds(grant) {
  if (!grant.argumentBounds?.length) return el('span', { class: 'muted', text: 'any arguments' });
  const list = el('ul', { class: 'bounds' });
  for (const b of grant.argumentBounds) {
    list.append(b.atMost !== null && b.atMost !== undefined
      ? el('li', {}, `${b.name} ≤ `, jsonTree(b.atMost))
      : el('li', {}, `${b.name} = `, jsonTree(b.equal)));
  }
  return list;
}

function state(grant, now) {
  if (grant.revokedAt) return `Revoked by ${grant.revokedBy}: ${grant.revokeReason ?? ''}`;
  return new Date(grant.expiresAt).getTime() <= now ? 'Expired' : 'In force';
}

function revokeControl(grant, onDone) {
  const id = `revoke-${grant.id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const reason = el('input', { id, class: 'revoke-reason', autocomplete: 'off' });
  const button = el('button', { type: 'button', class: 'revoke reject', text: 'Revoke' });
  const status = el('span', { class: 'revoke-status', role: 'status', 'aria-live': 'polite' });
  button.addEventListener('click', async () => {
    if (!reason.value.trim()) { status.textContent = 'Give a reason to revoke.'; reason.focus(); return; }
    button.disabled = true;
    status.textContent = 'Revoking…';
    const response = await post(`/api/grants/${encodeURIComponent(grant.id)}/revoke`, { reason: reason.value.trim() });
    if (!response.ok) { status.textContent = await problemOf(response); status.classList.add('refused'); button.disabled = false; return; }
    await onDone();
  });
  return el('div', { class: 'revoke-form' }, el('label', { for: id, text: `Reason to revoke the grant on ${grant.toolName}` }), reason, button, status);
}

export function renderGrants(container, session) {
  const active = el('input', { type: 'checkbox', name: 'active', checked: true });
  const tool = el('input', { name: 'tool', autocomplete: 'off' });
  const form = el('form', { class: 'filters page-filters', 'aria-label': 'Filter the grants' },
    el('label', {}, 'Tool', tool), el('label', { class: 'check' }, active, ' Only grants in force'), el('button', { type: 'submit', text: 'Show' }));
  const status = el('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const rows = el('tbody');
  const table = el('table', { class: 'grants-table' }, el('caption', { text: 'Standing grants, newest first' }),
    el('thead', {}, el('tr', {}, ...['Tool', 'Whose calls', 'Bounds', 'Granted by', 'Made', 'Until', 'State', session.readOnly ? null : 'Revoke']
      .filter(Boolean).map(h => el('th', { scope: 'col', text: h })))), rows);
  const more = el('button', { type: 'button', hidden: true, text: 'Load more' });
  container.append(form, status, el('div', { class: 'table-scroll' }, table), more);
  let token = null;

  const load = async (append = false) => {
    const params = new URLSearchParams();
    if (tool.value.trim()) params.set('tool', tool.value.trim());
    if (active.checked) params.set('active', 'true');
    if (append && token) params.set('continuationToken', token);
    const { response, body } = await getJson(`/api/grants?${params}`);
    if (!response.ok) { status.textContent = describeProblem(response, body); return; }
    if (!append) rows.replaceChildren();
    const now = Date.now();
    for (const grant of body.items) {
      const inForce = !grant.revokedAt && new Date(grant.expiresAt).getTime() > now;
      rows.append(el('tr', { 'data-grant-id': grant.id },
        el('th', { scope: 'row', text: grant.toolName }),
        el('td', { text: `${grant.scope}${grant.scopeId ? `: ${grant.scopeId}` : ''}${grant.tenantId ? ` (${grant.tenantId})` : ''}` }),
        el('td', {}, bounds(grant)),
        el('td', { text: grant.grantedBy }),
        el('td', { text: new Date(grant.createdAt).toLocaleString() }),
        el('td', { text: new Date(grant.expiresAt).toLocaleString() }),
        el('td', { class: 'grant-state', text: state(grant, now) }),
        session.readOnly ? null : el('td', {}, inForce ? revokeControl(grant, () => load()) : '')));
    }
    token = body.continuationToken;
    more.hidden = !token;
    status.textContent = rows.children.length === 0 ? 'No grants match.' : `${rows.children.length} grant${rows.children.length === 1 ? '' : 's'} shown.`;
    container.dataset.loaded = 'true';
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  more.addEventListener('click', () => load(true));
  load();
}
