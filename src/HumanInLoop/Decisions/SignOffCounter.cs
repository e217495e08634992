namespace HumanInLoop.Internal;

/// <summary>Counts the sign-offs of a call that needs several different people (<see cref="PendingToolCall.RequiredApprovals"/>).</summary>
internal sealed class SignOffCounter(ApprovalRecords records, ApprovalClock clock)
{
    /// <summary>
    /// Counts one approval of such a call; returns <see langword="true"/> when it is the last one needed (the caller then records
    /// the call as approved). Edits are refused on such calls: the others approved what they saw.
    /// </summary>
    /// <exception cref="ApprovalForbiddenException">The decision edits the arguments.</exception>
    /// <exception cref="ApprovalConflictException">The same person already approved the call.</exception>
    public bool Count(PendingApproval approval, PendingToolCall call, ApprovalDecision decision, string actor)
    {
        int required = call.RequiredApprovals;
        if (decision.EditedArguments is not null)
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"Call '{call.CallId}' needs {required} approvals, so its arguments cannot be edited; reject it with a reason instead.");
        }

        List<CallSignOff> given = call.SignOffsData ??= [];
        if (given.Exists(a => string.Equals(a.ApproverId, decision.Approver.Id, StringComparison.Ordinal)))
        {
            throw new ApprovalConflictException(approval.Id, approval.Status,
                $"'{decision.Approver.Id}' already approved call '{call.CallId}'; it needs {required} different approvers.", call.CallId);
        }

        given.Add(new CallSignOff(decision.Approver.Id, clock.Now(), decision.Reason));
        if (given.Count >= required)
        {
            return true;
        }

        records.Audit(approval, ApprovalAuditEvent.PartiallyApproved, actor, call, call.Fingerprint, call.Arguments,
            $"Approval {given.Count} of {required}." + (string.IsNullOrWhiteSpace(decision.Reason) ? "" : $" {decision.Reason}"));
        return false;
    }
}
