using System.Buffers;
using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>Writes and reads <see cref="PendingApproval"/> in its versioned JSON format (docs/serialization.md).</summary>
/// <remarks>
/// Reading accepts only known content types (no type names from the payload), limits nesting depth, tolerates
/// <c>$type</c> out of order (PostgreSQL <c>jsonb</c>), and turns anything malformed, truncated or of an unknown
/// version into an <see cref="ApprovalStateFormatException"/>. Thread-safe.
/// </remarks>
public static class PendingApprovalSerializer
{
    /// <summary>
    /// The longest stored approval read, in characters (64 Mi): a history far larger than any model's context. A conversation
    /// a store keeps apart (<see cref="StateEntry.History"/>) counts with its record.
    /// </summary>
    public const int MaxLength = 64 * 1024 * 1024;

    /// <summary>Writes an approval as JSON.</summary>
    /// <param name="approval">The approval.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="ApprovalStateFormatException">The approval was read with a history that is not a valid list of messages.</exception>
    public static string Serialize(PendingApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        // An approval read through ApprovalService builds its messages on first use: written whole, its history must be a valid
        // list of messages (a typed error otherwise), never copied as it was into JSON that Deserialize would refuse.
        approval.LoadHistory();

        return JsonSerializer.Serialize(approval, HumanInLoopJson.StateOptions);
    }

    /// <summary>
    /// Reads an approval as a store returned it: its <see cref="StateEntry.Data"/> and, when the store keeps the conversation
    /// apart (<see cref="IStateStore.StoresHistorySeparately"/>), its <see cref="StateEntry.History"/>.
    /// </summary>
    /// <remarks>
    /// Reads every part at once, messages included. It does not verify an <see cref="ApprovalOptions.IntegrityKey"/> seal or
    /// the audit chain; <see cref="ApprovalService.GetAsync"/> does both.
    /// </remarks>
    /// <param name="entry">The stored entry.</param>
    /// <returns>The approval.</returns>
    /// <exception cref="ApprovalStateFormatException">The entry is not a valid approval of a known format version.</exception>
    public static PendingApproval Deserialize(StateEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        PendingApproval approval = Read(entry.Data, deferMessages: false, entry.History is null ? null : StoredMessages.DeferredText(entry.History));
        approval.LoadHistory(); // a conversation kept apart is read now too
        return approval;
    }

    /// <summary>Reads an approval written by <see cref="Serialize"/> with this or an earlier format version.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The approval.</returns>
    /// <exception cref="ApprovalStateFormatException">The text is not a valid approval of a known format version.</exception>
    public static PendingApproval Deserialize(string json) => Read(json, deferMessages: false, history: null);

    /// <summary>
    /// Takes the audit trail out of a stored approval, for a store that archives it before deleting the record
    /// (<see cref="IPurgeableStateStore"/>): the trail exactly as stored, a JSON array byte for byte, so its hash chain still verifies.
    /// </summary>
    /// <param name="entry">The stored entry: its data and, when the store keeps the conversation apart, its history.</param>
    /// <returns>The trail's JSON, or <see langword="null"/> when the entry is not a readable approval (keep such a record, do not delete it).</returns>
    public static string? ExtractAuditTrail(StateEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return AuditTrailArchive.Extract(entry);
    }

    /// <summary>Reads an audit trail taken out by <see cref="ExtractAuditTrail"/>.</summary>
    /// <param name="approvalId">The id of the approval the trail belonged to (for errors).</param>
    /// <param name="archivedTrail">The JSON that <see cref="ExtractAuditTrail"/> returned.</param>
    /// <returns>The entries, oldest first.</returns>
    /// <exception cref="ApprovalStateFormatException">The text is not an archived audit trail.</exception>
    public static IReadOnlyList<ApprovalAuditEntry> ReadAuditTrail(string approvalId, string archivedTrail)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        ArgumentNullException.ThrowIfNull(archivedTrail);
        return AuditTrailArchive.Read(approvalId, archivedTrail);
    }

    /// <summary>
    /// Reads an approval; with <paramref name="deferMessages"/> a history inside the record is only checked to be well-formed
    /// JSON here, and its messages are built on first use (<see cref="PendingApproval.Messages"/>), which then reports a
    /// history that is not a valid list of messages. A <paramref name="history"/> kept apart is always read on first use.
    /// </summary>
    internal static PendingApproval Read(string json, bool deferMessages, StoredMessages? history) => Read(json, deferMessages, history, historyOmitted: false)!;

    /// <summary>
    /// As <see cref="Read(string, bool, StoredMessages?)"/>; with <paramref name="historyOmitted"/> (a read that left the conversation
    /// in the store), a record without its messages stands for a conversation kept apart that was not read
    /// (<see cref="StoredMessages.IsUnread"/>), of the length its summary gives.
    /// </summary>
    /// <returns>The approval, or <see langword="null"/> when the conversation was omitted and the record has no summary of it (written before summaries): read it whole.</returns>
    internal static PendingApproval? Read(string json, bool deferMessages, StoredMessages? history, bool historyOmitted)
    {
        ArgumentNullException.ThrowIfNull(json);
        long total = json.Length + (history?.Text.Length ?? 0); // a conversation kept apart counts too
        if (total > MaxLength)
        {
            throw new ApprovalStateFormatException($"The stored approval is {total} characters long; at most {MaxLength} are read.");
        }

        PendingApproval? approval;
        byte[]? pooled = null;
        try
        {
            if (deferMessages)
            {
                // Transcoded here rather than by the serializer, so the history's bytes can be kept from the same buffer
                // (pooled up to 1 MiB; a larger one is not worth keeping in the pool).
                int length = Utf8.GetByteCount(json);
                byte[] utf8 = length <= PooledReadLength ? pooled = ArrayPool<byte>.Shared.Rent(length) : new byte[length];
                Utf8.GetBytes(json, utf8);
                using (StoredMessagesConverter.BeginDeferredRead(utf8))
                {
                    approval = JsonSerializer.Deserialize<PendingApproval>(utf8.AsSpan(0, length), HumanInLoopJson.StateOptions);
                }
            }
            else
            {
                approval = JsonSerializer.Deserialize<PendingApproval>(json, HumanInLoopJson.StateOptions);
            }
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new ApprovalStateFormatException($"The stored approval is not valid JSON of a known format: {exception.Message}", null, exception);
        }
        finally
        {
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }
        }

        if (approval is null)
        {
            throw new ApprovalStateFormatException("The stored approval is empty (JSON null).");
        }

        if (history is not null)
        {
            if (approval.StoredMessages is not null)
            {
                throw new ApprovalStateFormatException("The stored approval holds its conversation both in its record and apart from it.", approval.Id);
            }

            approval.StoredMessages = history;
            approval.HistoryApart = true;
        }
        else if (historyOmitted && approval.StoredMessages is null)
        {
            if (approval.HistorySummary is not { } summary)
            {
                return null;
            }

            if (summary.Length < 0 || json.Length + summary.Length > MaxLength)
            {
                throw new ApprovalStateFormatException($"The stored approval is {json.Length + summary.Length} characters long; at most {MaxLength} are read.", approval.Id);
            }

            approval.StoredMessages = StoredMessages.Unread(summary.Length);
            approval.HistoryApart = true;
        }

        Validate(approval);
        return approval;
    }

    /// <summary>Writes the record a store keeps: without the conversation when the store keeps it apart.</summary>
    internal static string SerializeRecord(PendingApproval approval) =>
        JsonSerializer.Serialize(approval, approval.HistoryApart ? HumanInLoopJson.RecordOptions : HumanInLoopJson.StateOptions);

    /// <summary>Writes a conversation as the UTF-8 JSON array an approval keeps.</summary>
    internal static byte[] SerializeMessages(IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> messages) =>
        JsonSerializer.SerializeToUtf8Bytes(messages, HumanInLoopJson.StateOptions);

    /// <summary>The UTF-8 JSON of a conversation kept apart, as read from a store (text that is not valid UTF-16 is a format error).</summary>
    internal static byte[] HistoryBytes(string history)
    {
        try
        {
            return Utf8.GetBytes(history);
        }
        catch (ArgumentException exception)
        {
            // Without an id here: PendingApproval.Messages and ApprovalService's read add it.
            throw new ApprovalStateFormatException("The stored conversation is not valid text.", null, exception);
        }
    }

    private const int PooledReadLength = 1 << 20;

    // Text that is not valid UTF-16 (a lone surrogate) is an error, as when the serializer transcodes it, not a silent U+FFFD.
    private static readonly System.Text.UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void Validate(PendingApproval approval)
    {
        string id = approval.Id;
        if (approval.FormatVersion is < 1 or > PendingApproval.CurrentFormatVersion)
        {
            throw new ApprovalStateFormatException(
                $"The stored approval has format version {approval.FormatVersion}; this library reads versions 1 to {PendingApproval.CurrentFormatVersion}.", id);
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ApprovalStateFormatException("The stored approval has no id.");
        }

        if (!Enum.IsDefined(approval.Status) || !Enum.IsDefined(approval.Origin) || approval.Context is null || approval.StoredMessages is null || approval.Calls is null ||
            approval.AuditEntries is null || approval.Calls.Count == 0 || approval.AuditEntries.Count == 0)
        {
            throw new ApprovalStateFormatException("The stored approval lacks its status, origin, context, messages, calls or audit trail (or one is out of range).", id);
        }

        HashSet<string> callIds = new(StringComparer.Ordinal);
        foreach (PendingToolCall? call in approval.Calls)
        {
            if (call is null || string.IsNullOrEmpty(call.CallId) || string.IsNullOrEmpty(call.ToolName) || string.IsNullOrEmpty(call.Fingerprint) ||
                string.IsNullOrEmpty(call.IdempotencyKey) || call.Arguments.ValueKind != JsonValueKind.Object || call.Approvers is null ||
                (call.EscalationApproversData?.Any(string.IsNullOrEmpty) ?? false) ||
                !Enum.IsDefined(call.Decision) || !Enum.IsDefined(call.Execution) || !callIds.Add(call.CallId))
            {
                throw new ApprovalStateFormatException("A stored call is incomplete, duplicated or has arguments that are not a JSON object.", id);
            }
        }

        foreach (ApprovalAuditEntry? entry in approval.AuditEntries)
        {
            if (entry is null || string.IsNullOrEmpty(entry.Hash) || entry.Actor is null || entry.PreviousHash is null || !Enum.IsDefined(entry.Event))
            {
                throw new ApprovalStateFormatException("A stored audit entry is incomplete.", id);
            }
        }

        // Fingerprints and the audit chain are computed over the canonical form of every stored argument object: text that
        // JSON allows but that is not a valid string (a lone surrogate escaped as \ud800) must fail here, typed, not later.
        ArrayBufferWriter<byte> scratch = new();
        void CheckReadable(JsonElement? element)
        {
            if (element is { } value)
            {
                scratch.ResetWrittenCount();
                CanonicalJson.WriteTo(scratch, value);
            }
        }

        static void CheckText(JsonElement text)
        {
            if (text.GetString() is null)
            {
                throw new InvalidOperationException("A stored result is a JSON string that reads as null.");
            }
        }

        try
        {
            foreach (PendingToolCall call in approval.Calls)
            {
                CheckReadable(call.Arguments);
                CheckReadable(call.ApprovedArguments);
                CheckReadable(call.Result);

                // A result goes to the model on resume, a string one as its text: it must decode as one.
                if (call.Result is { ValueKind: JsonValueKind.String } text)
                {
                    CheckText(text);
                }
            }

            foreach (ApprovalAuditEntry entry in approval.AuditEntries)
            {
                CheckReadable(entry.Arguments);
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or JsonException)
        {
            throw new ApprovalStateFormatException($"Stored arguments cannot be read: {exception.Message}", id, exception);
        }
    }
}
