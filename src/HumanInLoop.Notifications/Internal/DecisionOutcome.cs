using Microsoft.AspNetCore.Http;

namespace HumanInLoop.Notifications.Internal;

/// <summary>Records a decision from a link or a button, and maps the core's typed refusals to HTTP statuses.</summary>
internal static class DecisionOutcome
{
    public static async Task<(int Status, string Message)> DecideAsync(
        ApprovalService approvals, string approvalId, string callId, string fingerprint, bool approve, Approver approver, string? reason, string via, CancellationToken cancellationToken)
    {
        ApprovalDecision decision = approve
            ? ApprovalDecision.Approve(approver, string.IsNullOrWhiteSpace(reason) ? null : reason)
            : ApprovalDecision.Reject(approver, string.IsNullOrWhiteSpace(reason) ? $"Rejected by {approver.Id} via {via}." : reason);
        try
        {
            await approvals.DecideAsync(approvalId, callId, decision with { ExpectedFingerprint = fingerprint }, cancellationToken).ConfigureAwait(false);
            return (StatusCodes.Status200OK, approve ? "Approved. Thank you: the work continues." : "Rejected. Thank you: nothing will run, and the assistant is told why.");
        }
        catch (ApprovalExpiredException)
        {
            return (StatusCodes.Status410Gone, "The approval expired before a decision; nothing ran.");
        }
        catch (ApprovalNotFoundException)
        {
            return (StatusCodes.Status404NotFound, "This approval no longer exists.");
        }
        catch (ApprovalForbiddenException)
        {
            return (StatusCodes.Status403Forbidden, "You may not decide this call.");
        }
        catch (ApprovalIntegrityException)
        {
            return (StatusCodes.Status409Conflict, "The call changed since it was shown to you, so this decision was not recorded.");
        }
        catch (ApprovalConflictException)
        {
            return (StatusCodes.Status409Conflict, "This call was already decided, or the approval takes no more decisions.");
        }
    }
}
