using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>
/// Where a resume starts: it reads the approval, refuses what cannot be resumed (still pending, claimed by a live resume,
/// finished), checks that everything that will run is present and bound to its approval, and only then takes the claim, so
/// a refusal changes nothing.
/// </summary>
internal sealed class ResumeClaimer(ApprovalRecords records, ApprovalExpirer expirer, ClaimLease lease, ApprovalClock clock)
{
    /// <summary>Claims a decided approval for one resume.</summary>
    /// <param name="approvalId">The approval to resume.</param>
    /// <param name="tools">The tools supplied again, by name.</param>
    /// <param name="resumingAs">The context the resume's options carry, if any: its user and tenant must be the approval's.</param>
    /// <param name="origin">What the approval must hold.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The claimed approval (its conversation loaded) and the claim's owner id.</returns>
    public async Task<(PendingApproval Approval, string Owner)> ClaimAsync(
        string approvalId, Dictionary<string, AIFunction> tools, CallerContext? resumingAs, ApprovalOrigin origin, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await records.LoadAsync(approvalId, cancellationToken);
            if (approval.Origin != origin)
            {
                throw new InvalidOperationException(approval.Origin == ApprovalOrigin.ActionPlan
                    ? $"Approval '{approvalId}' holds actions of a plan; resume it with ResumePlanAsync."
                    : $"Approval '{approvalId}' holds tool calls of a conversation; resume it with ResumeAsync.");
            }

            CheckContext(approval, resumingAs);

            string? recovering = null;
            switch (approval.Status)
            {
                case ApprovalStatus.Pending:
                    if (await expirer.ExpireIfDueAsync(approval, cancellationToken) is not null)
                    {
                        // Expired now (or changed by another writer): read it again.
                        continue;
                    }

                    throw new ApprovalConflictException(approvalId, approval.Status,
                        $"Approval '{approvalId}' still waits for decisions on: {string.Join(", ", approval.AwaitingApproval.Select(c => $"{c.CallId} ({c.ToolName})"))}.");
                case ApprovalStatus.Decided:
                    break;
                case ApprovalStatus.Executing when approval.ClaimExpiresAt is { } lapse && clock.Now() >= lapse:
                    recovering = approval.ClaimedBy;
                    break;
                case ApprovalStatus.Executing:
                    throw new ApprovalConflictException(approvalId, approval.Status, $"Approval '{approvalId}' is being resumed by another caller.");
                case ApprovalStatus.Expired:
                    // Nothing of an expired batch runs (every call is NotRun); resuming tells the model and closes it.
                    break;
                default:
                    throw new ApprovalConflictException(approvalId, approval.Status, $"Approval '{approvalId}' is {approval.Status}; it cannot be resumed.");
            }

            // Everything the resume depends on is read and checked before the claim: the history the model is sent afterwards,
            // and every call that will run (its tool supplied, its arguments those that were approved).
            approval.LoadHistory();
            string[] missing = [.. approval.Calls.Where(CallRunner.NeedsToRun).Select(c => c.ToolName).Where(n => !tools.ContainsKey(n)).Distinct(StringComparer.Ordinal)];
            if (missing.Length > 0)
            {
                // A tool gone (an MCP server that no longer offers it) or forgotten: refused before the claim, so nothing runs and
                // the approval waits, Decided, for a resume with the tool or a cancellation.
                throw new ApprovalToolMissingException(approvalId, missing);
            }

            foreach (PendingToolCall call in approval.Calls.Where(CallRunner.NeedsToRun))
            {
                AuditChain.VerifyBinding(approval, call);
            }

            if (await lease.TakeAsync(approval, recovering, cancellationToken) is { } owner)
            {
                return (approval, owner);
            }

            // Another resume changed the record first: read it again; it may now be claimed (a typed conflict) or still free.
        }

        throw await records.ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>
    /// An approval is bound to the requester and the tenant it was held for (AISVS 9.2.3): a resume whose options carry another
    /// user or tenant is refused before anything is written. Options with no context resume under the stored one. The
    /// conversation is not compared: the held one is always the one continued (its history, its context), whatever the options
    /// name, so a host may resume in a new session of the same user. The message names which id differs, never the stored value.
    /// </summary>
    private static void CheckContext(PendingApproval approval, CallerContext? resumingAs)
    {
        if (resumingAs is null)
        {
            return;
        }

        CallerContext held = approval.Context;
        string[] differing =
        [
            .. string.Equals(held.UserId, resumingAs.UserId, StringComparison.Ordinal) ? Array.Empty<string>() : ["user"],
            .. string.Equals(held.TenantId, resumingAs.TenantId, StringComparison.Ordinal) ? Array.Empty<string>() : ["tenant"],
        ];
        if (differing.Length > 0)
        {
            throw new ApprovalForbiddenException(approval.Id, null,
                $"Approval '{approval.Id}' was held for another {string.Join(" and ", differing)} than the CallerContext of this resume names; " +
                "an approval resumes only for the requester and tenant it was held for. Resume with the approval's own context, or with none (the stored one is used). Nothing ran.");
        }
    }
}
