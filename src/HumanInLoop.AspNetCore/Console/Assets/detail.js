// One approval: every call exactly as it will run, why a person is asked, who signed off and who else must, time left,
// the conversation excerpt, and (for a user who may decide) approve, reject with a reason, edit, or answer instead.
import { el, jsonTree, diffTable, timeLeft, statusText, decisionText } from './view.js';
import { parseExactJson, toExactJson } from './exact-json.js';
import { post, problemOf, readProblem, describeProblem, readEvents, getJson } from './api.js';
import { isFinal, explain } from './refusal.js';
import { schemaForm } from './schema-form.js';
import { auditSection } from './audit.js';
import { grantForm } from './grant-form.js';

const path = (id, rest = '') => `/api/approvals/${encodeURIComponent(id)}${rest}`;

function signOffs(call) {
  const done = call.approvedBy ?? [];
  if (!call.awaitingApproval && done.length === 0) return null;
  const need = call.requiredApprovals ?? 1;
  const who = (call.approvers ?? []).length ? call.approvers.join(', ') : 'any approver';
  const text = `${done.length} of ${need} sign-off${need === 1 ? '' : 's'}` + (done.length ? ` (${done.join(', ')})` : '') +
    (call.awaitingApproval ? `; still needed: ${need - done.length} from ${who}` : '');
  return el('p', { class: 'signoffs', text });
}

function field(label, control, id) {
  control.id = id;
  return el('div', { class: 'field' }, el('label', { for: id, text: label }), control);
}

function decisionForm(approval, call, session, onDone, onRefused, schemas) {
  const key = `${approval.id}-${call.callId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const status = el('p', { class: 'call-status', role: 'status', 'aria-live': 'polite' });
  const reason = el('textarea', { rows: '2', class: 'reason' });
  const edited = el('textarea', { rows: '8', class: 'arguments-editor', spellcheck: 'false', 'aria-describedby': `${key}-args-error` });
  edited.value = toExactJson(call.arguments, 2);
  const argsError = el('p', { class: 'field-error', id: `${key}-args-error`, 'aria-live': 'polite' });
  const answer = el('textarea', { rows: '2', class: 'respond-text' });
  const approve = el('button', { type: 'button', class: 'approve primary', text: 'Approve' });
  const reject = el('button', { type: 'button', class: 'reject', text: 'Reject' });
  const approveEdited = el('button', { type: 'button', class: 'approve-edited', text: 'Approve with these arguments' });
  const respond = el('button', { type: 'button', class: 'respond', text: 'Answer instead of running the tool' });
  const form = schemaForm(schemas?.[call.toolName], call.arguments, key);
  const approveForm = el('button', { type: 'button', class: 'approve-form', text: 'Approve with these arguments' });
  const grant = grantForm(call, key);
  const controls = [approve, reject, approveEdited, approveForm, respond, reason, edited, answer, ...(form ? form.root.querySelectorAll('input, select, textarea') : [])];

  let usedForm = false; // whether the arguments came from the schema form (a refusal then goes beside its field)
  const send = async (body, busy) => {
    document.body.dataset.acting = 'true';
    try { await sendNow(body, busy); } finally { document.body.dataset.acting = 'false'; }
  };
  const sendNow = async (body, busy) => {
    controls.forEach(c => { c.disabled = true; });
    status.textContent = busy;
    argsError.textContent = '';
    let response;
    try {
      response = await post(path(approval.id, `/calls/${encodeURIComponent(call.callId)}/decision`), { fingerprint: call.fingerprint, ...body });
    } catch (error) {
      status.textContent = `Could not reach the server (${error.message}). Nothing is known to be recorded; try again.`;
      controls.forEach(c => { c.disabled = false; });
      return;
    }
    if (!response.ok) {
      const problem = await readProblem(response);
      // Decided by someone else, expired, changed, not theirs: the approval is read again and shown as it is now, with why.
      if (isFinal(response, problem, body)) {
        status.textContent = '';
        await onRefused(response, problem, call.callId);
        return;
      }
      const message = describeProblem(response, problem);
      status.textContent = message;
      status.classList.add('refused');
      // A refusal that may pass on a second try (a bad reason, bad arguments) leaves the controls usable.
      if (response.status === 400 || (response.status === 403 && (body.arguments !== undefined || body.grant))) controls.forEach(c => { c.disabled = false; });
      // A policy's refusal of edited arguments is shown beside the field the server names as its cause; else beside the editor.
      if (body.arguments !== undefined && !(usedForm && form.showRefusal(message, problem?.arguments))) argsError.textContent = message;
      return;
    }
    const view = parseExactJson(await response.text());
    status.textContent = 'Recorded.';
    await onDone(view);
  };

  approve.addEventListener('click', () => {
    const withGrant = grant.read();
    if (withGrant) send({ decision: 'approve', ...withGrant }, 'Approving…');
  });
  reject.addEventListener('click', () => {
    if (!reason.value.trim()) { status.textContent = 'Give a reason to reject.'; reason.focus(); return; }
    send({ decision: 'reject', reason: reason.value.trim() }, 'Rejecting…');
  });
  approveEdited.addEventListener('click', () => {
    let args;
    try { args = parseExactJson(edited.value); } catch (error) { argsError.textContent = `Not valid JSON: ${error.message}`; edited.focus(); return; }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) { argsError.textContent = 'The arguments must be a JSON object.'; edited.focus(); return; }
    usedForm = false;
    send({ decision: 'approve', arguments: args, reason: reason.value.trim() || null }, 'Approving the edited call…');
  });
  approveForm.addEventListener('click', () => {
    const args = form.read();
    usedForm = true;
    if (args) send({ decision: 'approve', arguments: args, reason: reason.value.trim() || null }, 'Approving the edited call…');
  });
  respond.addEventListener('click', () => {
    if (!answer.value.trim()) { status.textContent = 'Write the answer the model should receive.'; answer.focus(); return; }
    send({ decision: 'respond', result: answer.value, reason: reason.value.trim() || null }, 'Sending the answer…');
  });

  return el('div', { class: 'decide', role: 'group', 'aria-label': `Decide ${call.toolName}` },
    el('div', { class: 'actions' }, approve),
    grant.root,
    field('Reason (required to reject; a comment otherwise)', reason, `${key}-reason`),
    el('div', { class: 'actions' }, reject),
    el('details', { class: 'edit' }, el('summary', { text: 'Edit the arguments' }),
      form ? form.root : null, form ? el('div', { class: 'actions' }, approveForm) : null,
      el('details', { class: 'edit-json', open: form ? null : true }, el('summary', { text: 'Edit as JSON' }),
        field('Arguments as JSON (numbers are kept exactly as written)', edited, `${key}-args`), el('div', { class: 'actions' }, approveEdited)),
      argsError),
    el('details', { class: 'respond-instead' }, el('summary', { text: 'Answer instead of running the tool' }),
      field('The answer the model receives', answer, `${key}-answer`), el('div', { class: 'actions' }, respond)),
    status);
}

function renderCall(approval, call, session, { onDone, onRefused, schemas, refusal }) {
  const section = el('article', { class: 'call', 'data-call-id': call.callId, 'aria-label': `Call ${call.toolName}` },
    el('h3', {}, el('span', { class: 'tool', text: call.toolName }), ' ', el('span', { class: `badge ${call.decision}`, 'data-decision': call.decision, text: decisionText(call.decision) })));
  if (call.policyReason) section.append(el('p', { class: 'reason-text' }, el('strong', { text: 'Why: ' }), call.policyReason));
  const signed = signOffs(call);
  if (signed) section.append(signed);
  section.append(el('h4', { text: 'Arguments, exactly as they will run' }), el('div', { class: 'arguments' }, jsonTree(call.approvedArguments ?? call.arguments)));
  if (call.approvedArguments) section.append(diffTable(call.arguments, call.approvedArguments));
  if (call.decidedBy) section.append(el('p', { class: 'decided', text: `Decided by ${call.decidedBy}${call.decisionReason ? `: ${call.decisionReason}` : ''}` }));
  const refusedHere = refusal?.closed && refusal.callId === call.callId;
  if (refusedHere && call.awaitingApproval) section.append(el('p', { class: 'muted no-controls', text: 'Not yours to decide: see why above. Another approver can decide it.' }));
  else if (call.canDecide && !session.readOnly) section.append(decisionForm(approval, call, session, onDone, onRefused, schemas));
  else if (call.awaitingApproval) section.append(el('p', { class: 'muted no-controls', text: session.readOnly ? 'Read-only: you may see this call but not decide it.' : 'Not yours to decide (or you signed it off already).' }));
  return section;
}

async function resume(approval, container) {
  const answer = el('div', { class: 'resumed-answer', role: 'status', 'aria-live': 'polite' });
  container.append(el('h3', { text: 'Answer after the resume' }), answer);
  const response = await post(path(approval.id, '/resume'));
  const problem = response.status === 409 ? await response.clone().json().catch(() => ({})) : {};
  if (['Executing', 'Completed'].includes(problem.approvalStatus)) {
    // Another page (the requester's chat) claimed the resume first: it runs once, there; nothing is wrong here.
    answer.textContent = 'Already resumed elsewhere (the requester\'s page claimed it first); it ran once, there.';
  } else if (!response.ok) {
    answer.textContent = await problemOf(response);
    answer.classList.add('refused');
    return;
  } else {
    for await (const { event, data } of readEvents(response)) {
      if (event === 'text') answer.textContent += data.text;
      else if (event === 'error') answer.textContent += ` [${data.title ?? 'error'}]`;
      else if (event === 'approval_required') answer.textContent += ' [it paused again for another approval]';
      else if (event === 'done') answer.classList.add('done');
    }
  }
  // The status line follows what the resume did (Done, or paused again, or given back), read from the server.
  const after = await getJson(path(approval.id));
  const status = container.closest('.approval')?.querySelector('.facts .status');
  if (after.response.ok && status) {
    status.textContent = statusText(after.body.status);
    status.dataset.status = after.body.status;
  }
}

// A refusal the page was given, shown above the approval read again after it: an alert in plain words.
function refusalNote(refusal) {
  return el('p', { class: 'refused refusal', role: 'alert', 'data-call-id': refusal.callId, 'data-closed': refusal.closed ? 'true' : null, text: refusal.text });
}

export function renderApproval(approval, session, { onChanged, resuming = false, schemas = null, refusal = null }) {
  const root = el('div', { class: 'approval', 'data-approval-id': approval.id });
  if (refusal) root.append(refusalNote(refusal));
  const left = el('span', { class: 'time-left', text: timeLeft(approval.expiresAt) });
  root.append(el('dl', { class: 'facts' },
    el('dt', { text: 'Status' }), el('dd', { class: 'status', 'data-status': approval.status, text: statusText(approval.status) }),
    el('dt', { text: 'Requested by' }), el('dd', { text: approval.requestedBy ?? '—' }),
    el('dt', { text: 'Tenant' }), el('dd', { text: approval.tenantId ?? '—' }),
    el('dt', { text: 'Held at' }), el('dd', { text: new Date(approval.createdAt).toLocaleString() }),
    el('dt', { text: 'Deadline' }), el('dd', {}, new Date(approval.expiresAt).toLocaleString(), ' (', left, ')')));
  if (approval.status === 'Pending') {
    const timer = setInterval(() => { if (!left.isConnected) clearInterval(timer); else left.textContent = timeLeft(approval.expiresAt); }, 1000);
  }
  if (approval.excerpt?.length) {
    const quote = el('ol', { class: 'excerpt', 'aria-label': 'Conversation excerpt' });
    for (const entry of approval.excerpt) quote.append(el('li', { class: `excerpt-${entry.role}` }, el('strong', { text: `${entry.role}: ` }), entry.text));
    root.append(el('h3', { text: 'Conversation excerpt' }), quote);
  }
  const after = el('div', { class: 'after' });
  const onDone = async (view) => {
    // The view is drawn anew; the keyboard focus goes to the call view (the region that holds it), not lost on the page.
    const fresh = renderApproval(view, session, { onChanged, resuming: view.status === 'Decided' && session.canResume });
    const region = root.closest('[tabindex]');
    root.replaceWith(fresh);
    region?.focus();
    if (view.status === 'Decided' && session.canResume) await resume(view, fresh.querySelector('.after'));
    onChanged?.();
  };
  const onRefused = async (response, problem, callId) => {
    const now = await getJson(path(approval.id));
    const view = now.response.ok ? now.body : null;
    // Self-approval or not an approver of the call: the call stays closed to this person however often the page reads it.
    const closed = Boolean(problem?.selfApproval) || response.status === 403;
    const note = { callId, closed, text: explain(response, problem, view, callId, session) };
    const fresh = view
      ? renderApproval(view, session, { onChanged, schemas, refusal: note })
      : el('div', { class: 'approval', 'data-approval-id': approval.id }, refusalNote(note));
    const region = root.closest('[tabindex]');
    root.replaceWith(fresh);
    region?.focus();
    onChanged?.();
  };
  for (const call of approval.calls ?? []) root.append(renderCall(approval, call, session, { onDone, onRefused, schemas, refusal }));
  if (!resuming && approval.status === 'Decided' && session.canResume && !(approval.calls ?? []).some(c => c.awaitingApproval)) {
    const button = el('button', { type: 'button', class: 'resume', text: 'Resume now' });
    button.addEventListener('click', () => { button.disabled = true; resume(approval, after); });
    root.append(button);
  }
  root.append(after, auditSection(approval.id));
  return root;
}

// The tools' JSON schemas for the edit form, when the host can give them (empty otherwise: the JSON editor is used).
export async function loadSchemas(approval, session) {
  if (session.readOnly || !(approval.calls ?? []).some(c => c.canDecide)) return null;
  const { response, body } = await getJson(path(approval.id, '/schemas'));
  return response.ok ? body : null;
}
