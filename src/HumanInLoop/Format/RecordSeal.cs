namespace HumanInLoop.Internal;

/// <summary>
/// With an <see cref="ApprovalOptions.IntegrityKey"/>, every stored record carries as its last property an HMAC of everything
/// before it (and of its conversation when the store keeps that apart): a field changed by anyone without the key (a status set
/// back, an approver list emptied, arguments rewritten) is refused on load.
/// </summary>
internal static class RecordSeal
{
    private const string SealPrefix = ",\"seal\":\"";
    private const int SealHexLength = 64;

    /// <summary>Appends the seal to a record's JSON.</summary>
    public static string Seal(string json, ReadOnlySpan<byte> key, byte[]? history) =>
        string.Concat(json.AsSpan(0, json.Length - 1), SealPrefix, Integrity.RecordSeal(json, key, history), "\"}");

    /// <summary>Checks and removes the seal of a stored record.</summary>
    /// <exception cref="ApprovalIntegrityException">The record carries no seal, or one that does not match.</exception>
    public static string Unseal(StateEntry entry, ReadOnlySpan<byte> key, byte[]? history)
    {
        string data = entry.Data;
        int prefixAt = data.Length - SealHexLength - SealPrefix.Length - 2;
        if (prefixAt < 1 || !data.EndsWith("\"}", StringComparison.Ordinal) || string.CompareOrdinal(data, prefixAt, SealPrefix, 0, SealPrefix.Length) != 0)
        {
            throw new ApprovalIntegrityException(entry.Id, null,
                $"The stored approval '{entry.Id}' carries no seal, so it was not written with this IntegrityKey (or was changed outside the library); nothing will run from it.");
        }

        string json = string.Concat(data.AsSpan(0, prefixAt), "}");
        if (!Integrity.FixedTimeEquals(data.Substring(prefixAt + SealPrefix.Length, SealHexLength), Integrity.RecordSeal(json, key, history)))
        {
            throw new ApprovalIntegrityException(entry.Id, null,
                $"The stored approval '{entry.Id}' was changed outside the library (its seal does not match); nothing will run from it.");
        }

        return json;
    }
}
