// One approval's audit trail: every recorded event, oldest first, and whether its hash chain held when it was read.
// A broken chain is shown as a break, never as a trail.
import { getJson, describeProblem } from './api.js';
import { el, jsonTree } from './view.js';

export function auditSection(approvalId) {
  const body = el('div', { class: 'audit-body', 'aria-live': 'polite' }, el('p', { class: 'muted', text: 'Open to read the trail.' }));
  const section = el('details', { class: 'audit' }, el('summary', { text: 'Audit trail' }), body);
  let loaded = false;
  section.addEventListener('toggle', async () => {
    if (!section.open || loaded) return;
    loaded = true;
    const { response, body: trail } = await getJson(`/api/approvals/${encodeURIComponent(approvalId)}/audit`);
    if (!response.ok) { body.replaceChildren(el('p', { class: 'refused', role: 'alert', text: describeProblem(response, trail) })); return; }
    if (!trail.verified) {
      body.replaceChildren(el('p', { class: 'chain-broken refused', role: 'alert' }, el('strong', { text: 'Chain broken. ' }), trail.problem ?? ''));
      return;
    }
    const how = trail.keyed ? 'HMAC-SHA-256 with the host\'s integrity key' : 'SHA-256 (no integrity key is configured: it detects changes, not a forger who rebuilds the chain)';
    const table = el('table', { class: 'audit-table' },
      el('caption', { text: `${trail.entries.length} entries` }),
      el('thead', {}, el('tr', {}, ...['#', 'When', 'Event', 'Who', 'Call', 'Reason', 'Hash'].map(h => el('th', { scope: 'col', text: h })))));
    const rows = el('tbody');
    for (const entry of trail.entries) {
      const reason = el('td', {}, entry.reason ?? '');
      if (entry.arguments) reason.append(el('div', { class: 'arguments' }, jsonTree(entry.arguments)));
      rows.append(el('tr', { 'data-event': entry.event },
        el('td', { text: String(entry.sequence) }),
        el('td', { text: new Date(entry.timestamp).toLocaleString() }),
        el('td', { text: entry.event }),
        el('td', { text: entry.actor }),
        el('td', { text: entry.toolName ? `${entry.toolName} (${entry.callId})` : '' }),
        reason,
        el('td', { class: 'hash', title: entry.hash, text: entry.hash.slice(0, 12) })));
    }
    table.append(rows);
    body.replaceChildren(el('p', { class: 'chain-verified', text: `Chain verified: every link held when it was read (${how}).` }), table);
  });
  return section;
}
