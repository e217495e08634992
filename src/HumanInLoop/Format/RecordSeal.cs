namespace HumanInLoop.Internal;

/// <summary>
/// With an <see cref="ApprovalOptions.IntegrityKey"/>, every stored record carries as its last property an HMAC of everything
/// before it: a field changed by anyone without the key (a status set back, an approver list emptied, arguments rewritten) is
/// refused on load. A record whose conversation the store keeps apart carries that conversation's SHA-256
/// (<see cref="HistorySummary"/>), so the seal covers it and a read without the conversation can still be verified; records sealed
/// before that (the seal over the record and the conversation together) are verified only with their conversation.
/// </summary>
internal static class RecordSeal
{
    private const string SealPrefix = ",\"seal\":\"";
    private const int SealHexLength = 64;

    /// <summary>Appends the seal to a record's JSON.</summary>
    /// <param name="json">The record.</param>
    /// <param name="key">The integrity key.</param>
    /// <param name="historyDigestInside">The record carries its conversation's digest (the store keeps the conversation apart).</param>
    public static string Seal(string json, ReadOnlySpan<byte> key, bool historyDigestInside) =>
        string.Concat(json.AsSpan(0, json.Length - 1), SealPrefix, Integrity.RecordSeal(json, key, null, historyDigestInside), "\"}");

    /// <summary>Checks and removes the seal of a stored record.</summary>
    /// <param name="entry">The stored entry.</param>
    /// <param name="key">The integrity key.</param>
    /// <param name="history">The conversation kept apart, as read, if it was read.</param>
    /// <param name="historyOmitted">The read left the conversation out (it may be kept apart).</param>
    /// <param name="historyDigestInside">Whether the record was sealed with its conversation's digest inside (then the caller checks the conversation against it).</param>
    /// <returns>The record, or <see langword="null"/> when it was read without its conversation and sealed the old way, with it: read it again, whole.</returns>
    /// <exception cref="ApprovalIntegrityException">The record carries no seal, or one that does not match.</exception>
    public static string? Unseal(StateEntry entry, ReadOnlySpan<byte> key, StoredMessages? history, bool historyOmitted, out bool historyDigestInside)
    {
        string data = entry.Data;
        int prefixAt = data.Length - SealHexLength - SealPrefix.Length - 2;
        if (prefixAt < 1 || !data.EndsWith("\"}", StringComparison.Ordinal) || string.CompareOrdinal(data, prefixAt, SealPrefix, 0, SealPrefix.Length) != 0)
        {
            throw new ApprovalIntegrityException(entry.Id, null,
                $"The stored approval '{entry.Id}' carries no seal, so it was not written with this IntegrityKey (or was changed outside the library); nothing will run from it.");
        }

        string json = string.Concat(data.AsSpan(0, prefixAt), "}");
        string seal = data.Substring(prefixAt + SealPrefix.Length, SealHexLength);
        historyDigestInside = Integrity.FixedTimeEquals(seal, Integrity.RecordSeal(json, key, null, historyDigestInside: true));
        if (historyDigestInside)
        {
            return json;
        }

        // Sealed the old way: with the conversation when it is kept apart (v2), or the record alone when it holds its messages (v1).
        // Read without its conversation, a record that is not v1 cannot be told from a changed one here: it is read again, whole.
        bool matches = Integrity.FixedTimeEquals(seal, Integrity.RecordSeal(json, key, history?.Utf8Json));
        if (!matches && historyOmitted && history is null && !CarriesHistorySummary(json))
        {
            return null;
        }

        return matches ? json : throw new ApprovalIntegrityException(entry.Id, null,
            $"The stored approval '{entry.Id}' was changed outside the library (its seal does not match); nothing will run from it.");
    }

    /// <summary>
    /// Whether the record names its conversation's summary at its top level: only records sealed with the digest inside do, so one
    /// that does and whose seal does not match was changed (taking the summary out instead only leads to the whole read, refused too).
    /// </summary>
    private static bool CarriesHistorySummary(string json)
    {
        try
        {
            System.Text.Json.Utf8JsonReader reader = new(System.Text.Encoding.UTF8.GetBytes(json), new System.Text.Json.JsonReaderOptions { MaxDepth = HumanInLoopJson.MaxDepth });
            if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("historyApart"u8))
                {
                    return true;
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: the whole read refuses it.
        }

        return false;
    }
}
