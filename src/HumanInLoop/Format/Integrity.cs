using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>Fingerprints of calls and the hash chain of the audit trail.</summary>
internal static class Integrity
{
    public static string Fingerprint(string approvalId, string? conversationId, string callId, string toolName, JsonElement canonicalArguments)
    {
        ArrayBufferWriter<byte> input = new(256);
        AppendField(input, "hil-call-v1");
        AppendField(input, approvalId);
        AppendField(input, conversationId ?? "");
        AppendField(input, callId);
        AppendField(input, toolName);
        CanonicalJson.WriteTo(input, canonicalArguments);
        return Hash(input.WrittenSpan, default);
    }

    public static string ChainHash(ApprovalAuditEntry entry, ReadOnlySpan<byte> key)
    {
        ArrayBufferWriter<byte> input = new(256);

        // An entry that names policy versions is hashed as version 2, with them; every other entry exactly as before, so trails
        // written before versions were recorded still verify, and removing an entry's versions breaks its hash.
        string[]? versions = entry.PolicyVersionsData;
        AppendField(input, versions is null ? "hil-audit-v1" : "hil-audit-v2");
        AppendField(input, entry.PreviousHash);
        AppendField(input, entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendField(input, entry.Timestamp.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendField(input, entry.Event.ToString());
        AppendField(input, entry.Actor);
        AppendField(input, entry.CallId ?? "");
        AppendField(input, entry.ToolName ?? "");
        AppendField(input, entry.Fingerprint ?? "");
        AppendField(input, entry.Reason ?? "");
        if (versions is not null)
        {
            AppendField(input, versions.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (string version in versions)
            {
                AppendField(input, version);
            }
        }

        if (entry.Arguments is { } arguments)
        {
            CanonicalJson.WriteTo(input, arguments);
        }

        return Hash(input.WrittenSpan, key);
    }

    /// <summary>The HMAC-SHA256 (hex) of a whole stored record, with a domain prefix.</summary>
    /// <remarks>A conversation the store keeps apart (<paramref name="history"/>, UTF-8) is sealed with its record.</remarks>
    /// <remarks>
    /// With <paramref name="historyDigestInside"/> (and no <paramref name="history"/>), the record itself carries its conversation's
    /// length and SHA-256 (<see cref="HistorySummary"/>): the seal covers the record alone, under its own domain prefix, and a read
    /// that includes the conversation checks it against the digest.
    /// </remarks>
    public static string RecordSeal(string json, ReadOnlySpan<byte> key, byte[]? history = null, bool historyDigestInside = false)
    {
        ArrayBufferWriter<byte> input = new(json.Length + (history?.Length ?? 0) + 48);
        AppendField(input, historyDigestInside ? "hil-record-v3" : history is null ? "hil-record-v1" : "hil-record-v2");
        AppendField(input, json);
        if (history is not null)
        {
            AppendField(input, history);
        }

        return Hash(input.WrittenSpan, key);
    }

    /// <summary>Compares two fingerprints or hashes in constant time.</summary>
    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    // One-shot hashing: no hash object to create and dispose for each entry (most of the cost of verifying a chain).
    private static string Hash(ReadOnlySpan<byte> input, ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[32];
        if (key.IsEmpty)
        {
            SHA256.HashData(input, digest);
        }
        else
        {
            HMACSHA256.HashData(key, input, digest);
        }

        return Convert.ToHexStringLower(digest);
    }

    private static void AppendField(ArrayBufferWriter<byte> output, string value)
    {
        // Length-prefixed so that field boundaries cannot be shifted to forge a collision. Invalid UTF-16 becomes U+FFFD, as
        // Encoding.UTF8 always wrote it.
        int length = Encoding.UTF8.GetByteCount(value);
        Span<byte> span = output.GetSpan(4 + length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span, length);
        Encoding.UTF8.GetBytes(value, span[4..]);
        output.Advance(4 + length);
    }

    /// <summary>A field already in UTF-8, length-prefixed the same way.</summary>
    private static void AppendField(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        Span<byte> span = output.GetSpan(4 + value.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span, value.Length);
        value.CopyTo(span[4..]);
        output.Advance(4 + value.Length);
    }
}
