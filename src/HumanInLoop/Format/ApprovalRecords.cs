using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Where approvals are read from and written to the <see cref="IStateStore"/>: each read checks the format, the seal, the
/// index row and the audit chain; each write is one compare-and-swap of the whole record with its new audit entries. The
/// only part of the library that turns an approval into a <see cref="StateEntry"/> and back.
/// </summary>
/// <remarks>Thread-safe; it keeps no state between calls.</remarks>
internal sealed class ApprovalRecords(IStateStore store, ReadOnlyMemory<byte> integrityKey, ApprovalClock clock, ILogger logger)
{
    /// <summary>How many times an operation reads again after losing a compare-and-swap before it reports a conflict.</summary>
    public const int MaxConcurrentRetries = 16;

    /// <summary>
    /// Room kept below <see cref="PendingApprovalSerializer.MaxLength"/> when an approval is held, for what its later changes add
    /// (decisions, runs, results); half of it stays free after any tool result is recorded.
    /// </summary>
    public const int StoredLengthHeadroom = 1024 * 1024;

    public IStateStore Store => store;

    /// <summary>Whether the store reads entries without their conversation (<see cref="StoreReads.WithoutHistory"/>).</summary>
    public bool ReadsWithoutHistory { get; } = StoreReads.WithoutHistory(store);

    /// <summary>
    /// The query as this store serves it for approvals to be read from: without the conversations only from a store that reads
    /// without them (a decorator that forwards the query but not <see cref="IStateStore.GetWithoutHistoryAsync"/> lists them whole).
    /// </summary>
    public StateQuery Supported(StateQuery query) => query.IncludeHistory || ReadsWithoutHistory ? query : query with { IncludeHistory = true };

    /// <summary>Reads one approval (its conversation is read on first use, <see cref="PendingApproval.LoadHistory"/>).</summary>
    /// <exception cref="ApprovalNotFoundException">No such approval.</exception>
    public async Task<PendingApproval> LoadAsync(string approvalId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        StateEntry entry = await store.GetAsync(approvalId, cancellationToken) ?? throw new ApprovalNotFoundException(approvalId);
        return Read(entry);
    }

    /// <summary>
    /// Reads one approval without its conversation, for a step that does not need it (<see cref="StoredMessages.IsUnread"/>): its
    /// messages throw, and a save keeps the stored conversation. One sealed before records carried their conversation's digest is
    /// read whole (never unverified).
    /// </summary>
    /// <exception cref="ApprovalNotFoundException">No such approval.</exception>
    public async Task<PendingApproval> LoadWithoutHistoryAsync(string approvalId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        if (!ReadsWithoutHistory)
        {
            // The record holds the conversation (nothing to leave out), or the store has no read without it: read whole, as always.
            return await LoadAsync(approvalId, cancellationToken);
        }

        StateEntry entry = await store.GetWithoutHistoryAsync(approvalId, cancellationToken) ?? throw new ApprovalNotFoundException(approvalId);
        return await ReadAsync(entry, historyOmitted: true, cancellationToken);
    }

    /// <summary>
    /// Reads an approval from an entry listed with or without its conversation (<see cref="StateQuery.IncludeHistory"/>); one that
    /// cannot be read without it (sealed the old way, or written before records summarized their conversation) is read again, whole.
    /// </summary>
    /// <exception cref="ApprovalStateFormatException">The entry is not a valid approval of a known format version.</exception>
    /// <exception cref="ApprovalIntegrityException">The seal, the index row or the audit chain does not match.</exception>
    /// <exception cref="ApprovalNotFoundException">Read again, whole, it was gone.</exception>
    public async ValueTask<PendingApproval> ReadAsync(StateEntry entry, bool historyOmitted, CancellationToken cancellationToken) =>
        Read(entry, historyOmitted && ReadsWithoutHistory) ?? await LoadAsync(entry.Id, cancellationToken);

    /// <summary>Reads a page of approvals; one that cannot be read is listed by id, not allowed to hide the others.</summary>
    public async Task<ApprovalPage> ListAsync(StateQuery query, CancellationToken cancellationToken)
    {
        query = Supported(query);
        StatePage page = await store.ListAsync(query, cancellationToken);
        List<PendingApproval> approvals = new(page.Entries.Count);
        List<string>? unreadable = null;
        foreach (StateEntry entry in page.Entries)
        {
            try
            {
                approvals.Add(await ReadAsync(entry, !query.IncludeHistory, cancellationToken));
            }
            catch (ApprovalNotFoundException)
            {
                // Deleted (purged) between the listing and a whole read: no longer there to list.
            }
            catch (Exception exception) when (exception is ApprovalStateFormatException or ApprovalIntegrityException)
            {
                // One bad record must not hide every other approval from the people who decide them.
                ApprovalLog.UnreadableApproval(logger, exception, entry.Id);
                (unreadable ??= []).Add(entry.Id);
            }
        }

        return new ApprovalPage(approvals, page.ContinuationToken, unreadable ?? (IReadOnlyList<string>)[]);
    }

    /// <summary>Reads an approval from its stored entry.</summary>
    /// <exception cref="ApprovalStateFormatException">The entry is not a valid approval of a known format version.</exception>
    /// <exception cref="ApprovalIntegrityException">The seal, the index row or the audit chain does not match.</exception>
    public PendingApproval Read(StateEntry entry) => Read(entry, historyOmitted: false)!;

    /// <summary>
    /// Reads an approval from its stored entry; with <paramref name="historyOmitted"/>, from an entry read without its conversation.
    /// </summary>
    /// <returns>The approval, or <see langword="null"/> when it cannot be read (or verified) without its conversation: read it whole.</returns>
    private PendingApproval? Read(StateEntry entry, bool historyOmitted)
    {
        PendingApproval? approval;
        historyOmitted &= entry.History is null;
        try
        {
            // A conversation kept apart is only transcoded when the seal covers it or its messages are first used.
            StoredMessages? history = entry.History is null ? null : StoredMessages.DeferredText(entry.History);
            bool digestInside = false;
            string? json = integrityKey.IsEmpty ? entry.Data : RecordSeal.Unseal(entry, integrityKey.Span, history, historyOmitted, out digestInside);
            approval = json is null ? null : PendingApprovalSerializer.Read(json, deferMessages: true, history, historyOmitted);
            if (approval is null)
            {
                return null;
            }

            if (digestInside && history is not null && (approval.HistorySummary?.Sha256 is not { } digest || !Integrity.FixedTimeEquals(digest, HistorySummary.Digest(history))))
            {
                // The record is sealed with its conversation's digest: a conversation changed in the store is refused before anything runs.
                throw new ApprovalIntegrityException(entry.Id, null,
                    $"The stored conversation of approval '{entry.Id}' was changed outside the library (it does not match the digest its sealed record carries); nothing will run from it.");
            }
        }
        catch (ApprovalStateFormatException exception) when (exception.ApprovalId is null)
        {
            throw new ApprovalStateFormatException(exception.Message, entry.Id, exception.InnerException);
        }

        // A tenant column that names another tenant than the sealed record would show the approval to that tenant. A store that
        // keeps no tenant column (null) is not held to it: the tenant filter then finds nothing, which leaks nothing.
        if (approval.Id != entry.Id || approval.Status != entry.Status || (entry.TenantId is not null && entry.TenantId != approval.Context.TenantId))
        {
            throw new ApprovalIntegrityException(entry.Id, null, $"The stored approval '{entry.Id}' does not match its index row (id, status or tenant differ).");
        }

        AuditChain.Verify(approval, integrityKey.Span);
        approval.Version = entry.Version;
        approval.StoredLength = StoredLength(approval, entry);
        return approval;
    }

    /// <summary>Saves a new approval (version 1), with room left for what its decisions and runs will add.</summary>
    /// <exception cref="ApprovalStateFormatException">It cannot be written, or would be too long to read back; nothing was saved.</exception>
    public async Task CreateAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        StateEntry entry;
        try
        {
            entry = ToEntry(approval, 1);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            // Something in the history cannot be written (nested too deep, an unserializable value): nothing is saved, nothing runs.
            throw new ApprovalStateFormatException($"The conversation cannot be saved as an approval: {exception.Message}", approval.Id, exception);
        }

        // Saved, a longer approval could never be read again (not decided, not expired, not cancelled): refuse it now instead.
        long length = StoredLength(approval, entry);
        if (length > PendingApprovalSerializer.MaxLength - StoredLengthHeadroom)
        {
            throw new ApprovalStateFormatException(
                $"The conversation is too long to hold for approval: it would be stored as {length} characters, and at most {PendingApprovalSerializer.MaxLength - StoredLengthHeadroom} are held (so that it can always be read back). Nothing was saved and nothing ran.",
                approval.Id);
        }

        if (!await store.TryCreateAsync(entry, cancellationToken))
        {
            throw new InvalidOperationException($"An approval with id '{approval.Id}' already exists in the store.");
        }

        approval.StoredLength = length;
    }

    /// <summary>Writes a changed approval if nobody else changed it since it was read (compare-and-swap on its version).</summary>
    /// <returns><see langword="false"/> when another writer got there first; the approval must be read again.</returns>
    /// <exception cref="ApprovalStateFormatException">The change would make the approval too long to read back; nothing was saved.</exception>
    public async Task<bool> TrySaveAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        approval.UpdatedAt = clock.Now();
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

        if (!await store.TryUpdateAsync(entry, expected, cancellationToken))
        {
            return false;
        }

        approval.Version = expected + 1;
        approval.StoredLength = length;
        return true;
    }

    /// <summary>Records an event in the approval's audit trail, to be saved with the change it describes.</summary>
    public void Audit(
        PendingApproval approval, ApprovalAuditEvent auditEvent, string actor, PendingToolCall? call = null,
        string? fingerprint = null, JsonElement? arguments = null, string? reason = null, IReadOnlyList<string>? policyVersions = null) =>
        AuditChain.Append(approval, clock.Now(), integrityKey.Span, auditEvent, actor, call, fingerprint, arguments, reason, policyVersions);

    /// <summary>The error for an approval that kept changing under concurrent writers, with the status it has now (read again, not assumed).</summary>
    public async Task<ApprovalConflictException> ConcurrentChangeAsync(string approvalId, CancellationToken cancellationToken)
    {
        PendingApproval current = await LoadAsync(approvalId, cancellationToken);
        return new ApprovalConflictException(approvalId, current.Status,
            $"Approval '{approvalId}' kept changing under concurrent writers (it is now {current.Status}); read it again and retry.");
    }

    /// <summary>How long an approval is as stored with <paramref name="entry"/>: the record and the conversation, wherever it is kept.</summary>
    private static long StoredLength(PendingApproval approval, StateEntry entry) =>
        entry.Data.Length + (approval.HistoryApart ? approval.StoredMessages!.TextLength : 0);

    private StateEntry ToEntry(PendingApproval approval, long version)
    {
        // A conversation kept apart goes to the store once, with the new entry; the record carries its length and, sealed, its
        // digest, so that the seal covers it on every write without it being read.
        StoredMessages? history = approval.HistoryApart ? approval.StoredMessages! : null;
        if (history is not null)
        {
            approval.HistorySummary = HistorySummary.For(history, approval.HistorySummary, withDigest: !integrityKey.IsEmpty);
        }

        string json = PendingApprovalSerializer.SerializeRecord(approval);
        return new(
            approval.Id,
            approval.Context.ConversationId,
            approval.Status,
            approval.CreatedAt,
            approval.NextDueAt(), // the deadline, or an escalation due before it: the sweep finds both by this column
            approval.UpdatedAt,
            version,
            integrityKey.IsEmpty ? json : RecordSeal.Seal(json, integrityKey.Span, historyDigestInside: history is not null))
        {
            // A store that does not declare StoresHistorySeparately may replace the whole entry on update (it was never asked to
            // keep History): an approval read from it with its conversation apart carries that conversation in every write.
            TenantId = approval.Context.TenantId,
            Approvers = ApproverNames.Of(approval),
            History = version == 1 || !store.StoresHistorySeparately ? history?.Text : null,
        };
    }
}
