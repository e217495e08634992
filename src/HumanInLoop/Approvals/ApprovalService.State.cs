using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <content>Reading, verifying and writing approvals in the store, and the audit chain.</content>
public sealed partial class ApprovalService
{
    private async Task<PendingApproval> LoadAsync(string approvalId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        StateEntry entry = await Store.GetAsync(approvalId, cancellationToken) ?? throw new ApprovalNotFoundException(approvalId);
        return Read(entry);
    }

    private PendingApproval Read(StateEntry entry)
    {
        PendingApproval approval;
        try
        {
            // A conversation kept apart is only transcoded when the seal covers it or its messages are first used.
            StoredMessages? history = entry.History is null ? null : StoredMessages.DeferredText(entry.History);
            approval = PendingApprovalSerializer.Read(_integrityKey.Length == 0 ? entry.Data : Unseal(entry, history?.Utf8Json), deferMessages: true, history);
        }
        catch (ApprovalStateFormatException exception) when (exception.ApprovalId is null)
        {
            throw new ApprovalStateFormatException(exception.Message, entry.Id, exception.InnerException);
        }

        if (approval.Id != entry.Id || approval.Status != entry.Status)
        {
            throw new ApprovalIntegrityException(entry.Id, null, $"The stored approval '{entry.Id}' does not match its index row (id or status differ).");
        }

        VerifyAuditChain(approval);
        approval.Version = entry.Version;
        approval.StoredLength = StoredLength(approval, entry);
        return approval;
    }

    /// <summary>
    /// Room kept below <see cref="PendingApprovalSerializer.MaxLength"/> when an approval is held, for what its later changes add
    /// (decisions, runs, results); half of it stays free after any tool result is recorded.
    /// </summary>
    internal const int StoredLengthHeadroom = 1024 * 1024;

    /// <summary>How long an approval is as stored with <paramref name="entry"/>: the record and the conversation, wherever it is kept.</summary>
    private static long StoredLength(PendingApproval approval, StateEntry entry) =>
        entry.Data.Length + (approval.HistoryApart ? (long)approval.StoredMessages!.Text.Length : 0);

    private async Task<bool> TrySaveAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        approval.UpdatedAt = Now();
        long expected = approval.Version;
        StateEntry entry = ToEntry(approval, expected + 1);
        long length = StoredLength(approval, entry);
        if (length > PendingApprovalSerializer.MaxLength)
        {
            // Saved, it could never be read again (not decided, not resumed, not expired): the change is refused, the stored one stays.
            throw new ApprovalStateFormatException(
                $"This change would make approval '{approval.Id}' {length} characters long, more than the {PendingApprovalSerializer.MaxLength} it can be read back at; it was not saved.",
                approval.Id);
        }

        if (!await Store.TryUpdateAsync(entry, expected, cancellationToken))
        {
            return false;
        }

        approval.Version = expected + 1;
        approval.StoredLength = length;
        return true;
    }

    private StateEntry ToEntry(PendingApproval approval, long version)
    {
        string json = PendingApprovalSerializer.SerializeRecord(approval);

        // A conversation kept apart goes to the store once, with the new entry; the seal covers it on every write.
        StoredMessages? history = approval.HistoryApart ? approval.StoredMessages! : null;
        return new(
            approval.Id,
            approval.Context.ConversationId,
            approval.Status,
            approval.CreatedAt,
            approval.ExpiresAt,
            approval.UpdatedAt,
            version,
            _integrityKey.Length == 0 ? json : Seal(json, history?.Utf8Json))
        {
            // A store that does not declare StoresHistorySeparately may replace the whole entry on update (it was never asked to
            // keep History): an approval read from it with its conversation apart carries that conversation in every write.
            History = version == 1 || !Store.StoresHistorySeparately ? history?.Text : null,
        };
    }

    // With an IntegrityKey every record carries, as its last property, an HMAC of everything before it: a field changed by
    // anyone without the key (a status set back, an approver list emptied, arguments rewritten) is refused on load.
    private const string SealPrefix = ",\"seal\":\"";
    private const int SealHexLength = 64;

    private string Seal(string json, byte[]? history) =>
        string.Concat(json.AsSpan(0, json.Length - 1), SealPrefix, Integrity.RecordSeal(json, _integrityKey, history), "\"}");

    private string Unseal(StateEntry entry, byte[]? history)
    {
        string data = entry.Data;
        int prefixAt = data.Length - SealHexLength - SealPrefix.Length - 2;
        if (prefixAt < 1 || !data.EndsWith("\"}", StringComparison.Ordinal) || string.CompareOrdinal(data, prefixAt, SealPrefix, 0, SealPrefix.Length) != 0)
        {
            throw new ApprovalIntegrityException(entry.Id, null,
                $"The stored approval '{entry.Id}' carries no seal, so it was not written with this IntegrityKey (or was changed outside the library); nothing will run from it.");
        }

        string json = string.Concat(data.AsSpan(0, prefixAt), "}");
        if (!CryptographicEquals(data.Substring(prefixAt + SealPrefix.Length, SealHexLength), Integrity.RecordSeal(json, _integrityKey, history)))
        {
            throw new ApprovalIntegrityException(entry.Id, null,
                $"The stored approval '{entry.Id}' was changed outside the library (its seal does not match); nothing will run from it.");
        }

        return json;
    }

    private void Audit(
        PendingApproval approval, ApprovalAuditEvent auditEvent, string actor, PendingToolCall? call = null,
        string? fingerprint = null, JsonElement? arguments = null, string? reason = null)
    {
        List<ApprovalAuditEntry> trail = approval.AuditEntries;
        ApprovalAuditEntry entry = new()
        {
            Sequence = trail.Count + 1,
            Timestamp = Now(),
            Event = auditEvent,
            Actor = actor,
            CallId = call?.CallId,
            ToolName = call?.ToolName,
            Fingerprint = fingerprint,
            Arguments = arguments,
            Reason = reason,
            PreviousHash = trail.Count == 0 ? "" : trail[^1].Hash,
        };
        entry.Hash = Integrity.ChainHash(entry, _integrityKey);
        trail.Add(entry);
    }

    private void VerifyAuditChain(PendingApproval approval)
    {
        string previous = "";
        long sequence = 1;
        foreach (ApprovalAuditEntry entry in approval.AuditEntries)
        {
            if (entry.Sequence != sequence++ || entry.PreviousHash != previous ||
                !CryptographicEquals(entry.Hash, Integrity.ChainHash(entry, _integrityKey)))
            {
                throw new ApprovalIntegrityException(approval.Id, entry.CallId,
                    $"The audit trail of approval '{approval.Id}' was altered at entry {entry.Sequence}; nothing will run from it.");
            }

            previous = entry.Hash;
        }
    }

    /// <summary>Checks that the arguments about to run are exactly those an approval (automatic or human) was recorded for.</summary>
    private static void VerifyBinding(PendingApproval approval, PendingToolCall call)
    {
        string actual = Integrity.Fingerprint(approval.Id, approval.Context.ConversationId, call.CallId, call.ToolName, call.ArgumentsToRun);
        ApprovalAuditEntry? decision = approval.AuditEntries.LastOrDefault(e => e.CallId == call.CallId &&
            e.Event is ApprovalAuditEvent.AutoAllowed or ApprovalAuditEvent.Approved or ApprovalAuditEvent.ApprovedWithEdits);
        if (call.ApprovedFingerprint is null || decision is null ||
            !CryptographicEquals(actual, call.ApprovedFingerprint) || !CryptographicEquals(actual, decision.Fingerprint ?? ""))
        {
            throw new ApprovalIntegrityException(approval.Id, call.CallId,
                $"The arguments of call '{call.CallId}' ({call.ToolName}) are not the ones that were approved; it will not run.");
        }
    }

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private static string ApproverActor(Approver approver) => approver.Id;
}
