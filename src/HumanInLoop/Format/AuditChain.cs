using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>
/// The approval's hash-chained audit trail: each entry hashes the one before it (an HMAC with an integrity key), so an edit,
/// deletion, insertion or reordering is detected on load; and the binding of what runs to what was approved.
/// </summary>
internal static class AuditChain
{
    /// <summary>Appends one entry to the approval's trail.</summary>
    public static void Append(
        PendingApproval approval, DateTimeOffset timestamp, ReadOnlySpan<byte> key, ApprovalAuditEvent auditEvent, string actor,
        PendingToolCall? call, string? fingerprint, JsonElement? arguments, string? reason, IReadOnlyList<string>? policyVersions = null)
    {
        List<ApprovalAuditEntry> trail = approval.AuditEntries;
        ApprovalAuditEntry entry = new()
        {
            Sequence = trail.Count + 1,
            Timestamp = timestamp,
            Event = auditEvent,
            Actor = actor,
            CallId = call?.CallId,
            ToolName = call?.ToolName,
            Fingerprint = fingerprint,
            Arguments = arguments,
            Reason = reason,
            PolicyVersionsData = policyVersions is { Count: > 0 } ? [.. policyVersions] : null,
            PreviousHash = trail.Count == 0 ? "" : trail[^1].Hash,
        };
        entry.Hash = Integrity.ChainHash(entry, key);
        trail.Add(entry);
    }

    /// <summary>Checks every link of the trail.</summary>
    /// <exception cref="ApprovalIntegrityException">An entry was altered, removed, inserted or moved.</exception>
    public static void Verify(PendingApproval approval, ReadOnlySpan<byte> key)
    {
        string previous = "";
        long sequence = 1;
        foreach (ApprovalAuditEntry entry in approval.AuditEntries)
        {
            if (entry.Sequence != sequence++ || entry.PreviousHash != previous ||
                !Integrity.FixedTimeEquals(entry.Hash, Integrity.ChainHash(entry, key)))
            {
                throw new ApprovalIntegrityException(approval.Id, entry.CallId,
                    $"The audit trail of approval '{approval.Id}' was altered at entry {entry.Sequence}; nothing will run from it.");
            }

            previous = entry.Hash;
        }
    }

    /// <summary>Checks that the arguments about to run are exactly those an approval (automatic or human) was recorded for.</summary>
    /// <exception cref="ApprovalIntegrityException">They are not; the call does not run.</exception>
    public static void VerifyBinding(PendingApproval approval, PendingToolCall call)
    {
        string actual = Integrity.Fingerprint(approval.Id, approval.Context.ConversationId, call.CallId, call.ToolName, call.ArgumentsToRun);
        ApprovalAuditEntry? decision = approval.AuditEntries.LastOrDefault(e => e.CallId == call.CallId &&
            e.Event is ApprovalAuditEvent.AutoAllowed or ApprovalAuditEvent.Approved or ApprovalAuditEvent.ApprovedWithEdits);
        if (call.ApprovedFingerprint is null || decision is null ||
            !Integrity.FixedTimeEquals(actual, call.ApprovedFingerprint) || !Integrity.FixedTimeEquals(actual, decision.Fingerprint ?? ""))
        {
            throw new ApprovalIntegrityException(approval.Id, call.CallId,
                $"The arguments of call '{call.CallId}' ({call.ToolName}) are not the ones that were approved; it will not run.");
        }
    }
}
