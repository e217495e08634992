// A refused decision in plain words: from the server's problem and the approval as it is stored now (read again after the
// refusal), never a stack trace or raw JSON. The server has refused and recorded nothing; the page says why and what now.
import { describeProblem } from './api.js';
import { statusText } from './view.js';

const when = iso => new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
const done = { Approved: 'approved', Rejected: 'rejected', Responded: 'answered instead of run', Expired: 'expired undecided' };
const kind = problem => (problem?.type ?? '').split('/').pop();

// Whether the refusal ends this person's decision on the call as it was shown (the page then reads the approval again), or only
// asks for another try (a bad reason, edited arguments a policy refuses, a grant that cannot be made).
export function isFinal(response, problem, body) {
  if (problem?.selfApproval) return true;
  if ([404, 409, 410].includes(response.status)) return true;
  return response.status === 403 && body.arguments === undefined && !body.grant;
}

// The sentence the page shows for a final refusal of a decision on call `callId`; `now` is the approval read again (or null).
export function explain(response, problem, now, callId, session) {
  const call = now?.calls?.find(c => c.callId === callId);
  if (problem?.selfApproval) {
    return 'You asked for this call yourself, so someone else must decide it: this server does not let anyone approve their own request. Nothing was recorded.';
  }
  if (response.status === 403) return `You may not decide this call. ${problem?.detail ?? ''} Nothing was recorded.`.replace(/\s+/g, ' ');
  if (response.status === 404) return 'This approval is gone, or you may no longer see it. Nothing was recorded.';
  if (response.status === 410 || kind(problem) === 'expired' || now?.status === 'Expired') {
    const deadline = problem?.expiresAt ?? now?.expiresAt;
    return `This approval expired${deadline ? ` at ${when(deadline)}` : ''}, before your decision reached the server. Nothing ran, and your decision was not recorded.`;
  }
  if (kind(problem) === 'integrity') {
    return now
      ? 'This call changed since you opened it: what is stored now is not the call you were shown, so your decision was not recorded. It is shown again below as it is stored now; read it again before you decide.'
      : 'This call changed since you opened it, and it cannot be read any more; your decision was not recorded and nothing ran.';
  }
  if (call?.decidedBy && done[call.decision]) {
    const who = call.decidedBy === session?.user ? 'You already decided this call (in another page or tab)' : 'Someone else decided this call while you were reading it';
    return `${who}: ${done[call.decision]} by ${call.decidedBy}${call.decidedAt ? ` at ${when(call.decidedAt)}` : ''}. Your decision was not recorded.`;
  }
  if (now && now.status !== 'Pending') return `This approval no longer waits for a decision (${statusText(now.status).toLowerCase()}). Your decision was not recorded.`;
  return `${describeProblem(response, problem)} Nothing was recorded.`;
}
