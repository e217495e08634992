// The approval card shared by the chat and the inbox: the calls awaiting a decision, with Approve and Reject.
// A click posts the decision with the fingerprint that was shown; when every call is decided, the approval is resumed
// and its answer streamed to onResumed(response).
import { post, describeProblem } from './api.js';
import { ExactNumber } from './exact-json.js';

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Exactly what will run: an amount gets cents only when that changes nothing (150 → $150.00, 150.004 stays 150.004; one
// JavaScript would round keeps the server's digits), and anything that is not a string is shown as JSON (never
// "[object Object]").
function describeValue(name, value) {
  if (value instanceof ExactNumber) return name === 'amount' ? `$${value.text}` : value.text;
  if (name === 'amount' && typeof value === 'number') {
    const text = String(value);
    return `$${/^-?\d+(\.\d{1,2})?$/.test(text) ? value.toFixed(2) : text}`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function describeArguments(args) {
  return Object.entries(args ?? {}).map(([name, value]) => `${name}: ${describeValue(name, value)}`).join(', ');
}

export function renderApprovalCard(approval, { onResumed, onResumedElsewhere, excerpt } = {}) {
  const id = approval.approvalId ?? approval.id;
  const card = element('div', 'approval-card');
  card.dataset.approvalId = id;
  card.append(element('div', 'approval-title', 'Approval needed'));
  const meta = [];
  if (approval.requestedBy) meta.push(`requested by ${approval.requestedBy}`);
  if (approval.expiresAt) meta.push(`expires ${new Date(approval.expiresAt).toLocaleString()}`);
  if (meta.length) card.append(element('div', 'approval-meta', meta.join(' · ')));
  if (excerpt?.length) {
    const quote = element('div', 'approval-excerpt');
    for (const entry of excerpt) quote.append(element('div', `excerpt-${entry.role}`, `${entry.role}: ${entry.text}`));
    card.append(quote);
  }

  const status = element('div', 'approval-status');
  status.setAttribute('role', 'status');
  const calls = (approval.calls ?? []).filter(c => c.awaitingApproval);
  let undecided = calls.length;
  for (const call of calls) {
    const row = element('div', 'approval-call');
    row.dataset.callId = call.callId;
    row.append(element('div', 'call-tool', call.toolName));
    row.append(element('div', 'call-args', describeArguments(call.arguments)));
    if (call.policyReason) row.append(element('div', 'call-reason', call.policyReason));
    if (call.canDecide === false) {
      // The requester (a customer) waits; a teller decides elsewhere, and this page hears of it (chat.js).
      row.append(element('div', 'call-waiting', 'Waiting for a teller\'s decision.'));
      card.append(row);
      continue;
    }
    const reason = element('input', 'reject-reason');
    reason.placeholder = 'Reason (to reject)';
    reason.setAttribute('aria-label', 'Reason (to reject)');
    const approve = element('button', 'approve', 'Approve');
    const reject = element('button', 'reject', 'Reject');
    const actions = element('div', 'call-actions');
    actions.append(approve, reject, reason);
    row.append(actions);
    card.append(row);

    const decide = async (decision) => {
      card.dataset.acting = 'true';
      try { await decideNow(decision); } finally { delete card.dataset.acting; }
    };
    const decideNow = async (decision) => {
      approve.disabled = reject.disabled = reason.disabled = true;
      status.textContent = decision === 'approve' ? 'Approving…' : 'Rejecting…';
      let response;
      try {
        response = await post(`/api/approvals/${encodeURIComponent(id)}/calls/${encodeURIComponent(call.callId)}/decision`, {
          decision,
          fingerprint: call.fingerprint,
          reason: decision === 'reject' ? (reason.value.trim() || 'Rejected by the teller.') : null,
        }, { retryOnce: true });
      } catch (error) {
        // The server could not be reached: nothing was recorded as far as the page knows; let the teller try again.
        status.textContent = `Could not reach the server (${error.message}). Try again.`;
        approve.disabled = reject.disabled = reason.disabled = false;
        return;
      }
      if (!response.ok) {
        status.textContent = await describeProblem(response);
        card.classList.add('failed');
        return;
      }
      const view = await response.json();
      row.classList.add(decision === 'approve' ? 'approved' : 'rejected');
      actions.replaceChildren(element('span', 'call-decision', decision === 'approve' ? 'Approved' : 'Rejected'));
      undecided -= 1;
      if (view.status === 'Decided' || undecided === 0) await resume();
      else status.textContent = 'Waiting for the other decisions…';
    };
    approve.addEventListener('click', () => decide('approve'));
    reject.addEventListener('click', () => decide('reject'));
  }

  const resume = async () => {
    card.dataset.acting = 'true';
    let elsewhere = false;
    try { elsewhere = await resumeNow(); } finally { delete card.dataset.acting; }
    if (elsewhere) await onResumedElsewhere?.();
  };
  const resumeNow = async () => {
    status.textContent = 'Resuming…';
    let response;
    try {
      response = await post(`/api/approvals/${encodeURIComponent(id)}/resume`, undefined, { retryOnce: true });
    } catch (error) {
      // Decided and stored: a reload of the page offers the resume again.
      status.textContent = `Could not reach the server (${error.message}). Reload the page to resume.`;
      card.classList.add('failed');
      return;
    }
    const problem = response.status === 409 ? await response.clone().json().catch(() => ({})) : {};
    if (['Executing', 'Completed'].includes(problem.approvalStatus)) {
      // Someone else resumed it first (the approver's console): the claim let one resume run it, and the chat shows its answer
      // when it is saved. Not an error for this page.
      status.textContent = 'Already resumed elsewhere; the answer appears here when it is ready.';
      card.classList.add('resolved');
      return true;
    }
    if (!response.ok) {
      status.textContent = await describeProblem(response);
      card.classList.add('failed');
      return;
    }
    status.textContent = 'Resumed.';
    card.classList.add('resolved');
    if (onResumed) await onResumed(response, card);
  };

  if (calls.length === 0 && approval.status === 'Decided') {
    const button = element('button', 'resume', 'Resume');
    button.addEventListener('click', () => { button.disabled = true; resume(); });
    card.append(button);
  }
  card.append(status);
  return card;
}
