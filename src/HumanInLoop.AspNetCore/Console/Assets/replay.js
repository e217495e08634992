// Replays a candidate policy set the host offers over the recorded calls: the calls it would have allowed that a person
// rejected (or edited, or answered instead), and the reverse counts. Nothing runs and nothing changes.
import { getJson, describeProblem } from './api.js';
import { el, jsonTree } from './view.js';

const percent = share => `${(share * 100).toFixed(1)}%`;

export async function renderReplay(container) {
  const status = el('p', { class: 'headline', role: 'status', 'aria-live': 'polite' });
  container.append(status);
  const first = await getJson('/api/replay');
  if (!first.response.ok) { status.textContent = describeProblem(first.response, first.body); return; }
  if (first.body.candidates.length === 0) {
    status.textContent = 'The host offers no candidate policies to replay (ApprovalConsoleOptions.ReplayCandidates).';
    container.dataset.loaded = 'true';
    return;
  }
  const candidate = el('select', { name: 'candidate' }, ...first.body.candidates.map(name => el('option', { value: name, text: name })));
  const from = el('input', { type: 'date', name: 'from', value: first.body.from });
  const to = el('input', { type: 'date', name: 'to', value: first.body.to });
  const tool = el('input', { name: 'tool', autocomplete: 'off' });
  const form = el('form', { class: 'filters page-filters', 'aria-label': 'Replay' },
    el('label', {}, 'Candidate', candidate), el('label', {}, 'From (UTC)', from), el('label', {}, 'To (UTC)', to), el('label', {}, 'Tool', tool),
    el('button', { type: 'submit', text: 'Replay' }));
  const result = el('div', { class: 'replay-result' });
  container.append(form, result);

  const run = async () => {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) params.set(name, value);
    status.textContent = 'Replaying…';
    const { response, body } = await getJson(`/api/replay?${params}`);
    if (!response.ok) { status.textContent = describeProblem(response, body); result.replaceChildren(); return; }
    status.textContent = `“${body.candidate}” over ${body.calls} recorded call${body.calls === 1 ? '' : 's'}, ${body.from} to ${body.to} (UTC).`;
    const facts = el('dl', { class: 'facts replay-counts' },
      el('dt', { text: 'Would allow / ask / deny' }), el('dd', { text: `${body.wouldAllow} / ${body.wouldRequireApproval} / ${body.wouldDeny}` }),
      el('dt', { text: 'Automation rate' }), el('dd', { text: `${percent(body.automationRate)} with the candidate, ${percent(body.recordedAutomationRate)} as recorded` }),
      el('dt', { text: 'Would allow, a person rejected' }), el('dd', { class: 'false-approvals', text: String(body.falseApprovalCount) }),
      el('dt', { text: 'Would ask, a person approved as proposed' }), el('dd', { class: 'needless-asks', text: String(body.needlessAskCount) }),
      el('dt', { text: 'Evaluations that threw' }), el('dd', { text: String(body.errorCount) }));
    const rows = el('tbody');
    for (const row of body.falseApprovals) {
      rows.append(el('tr', { 'data-call': `${row.approvalId}/${row.callId}` },
        el('td', { text: new Date(row.seenAt).toLocaleString() }),
        el('th', { scope: 'row', text: row.toolName }),
        el('td', { class: 'arguments' }, jsonTree(row.arguments)),
        el('td', { text: row.requestedBy ?? '—' }),
        el('td', { text: `${row.outcome} by ${row.decidedBy ?? '—'}` }),
        el('td', { text: row.decisionReason ?? '' }),
        el('td', {}, row.approvalId ? el('a', { href: `#/approval/${encodeURIComponent(row.approvalId)}`, text: 'Open' }) : '')));
    }
    const table = el('table', { class: 'replay-table' },
      el('caption', { text: 'Calls the candidate would have allowed that a person rejected, edited or answered instead' }),
      el('thead', {}, el('tr', {}, ...['When', 'Tool', 'Arguments', 'Requested by', 'Decision', 'Reason', 'Approval'].map(h => el('th', { scope: 'col', text: h })))), rows);
    result.replaceChildren(facts, el('div', { class: 'table-scroll' }, table),
      body.hiddenFalseApprovals ? el('p', { class: 'muted', text: `${body.hiddenFalseApprovals} more are not yours to read.` }) : '',
      body.falseApprovalCount > body.falseApprovals.length + body.hiddenFalseApprovals ? el('p', { class: 'muted', text: 'Only the first 100 are listed.' }) : '',
      body.alwaysApprovedTools.length ? el('p', { text: `Always approved as proposed, still asked: ${body.alwaysApprovedTools.join(', ')}` }) : '');
    container.dataset.loaded = 'true';
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); run(); });
}
