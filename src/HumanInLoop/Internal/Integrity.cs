using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>Fingerprints of calls and the hash chain of the audit trail.</summary>
internal static class Integrity
{
    public static string Fingerprint(string approvalId, string? conversationId, string callId, string toolName, JsonElement canonicalArguments)
    {
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendField(hash, "hil-call-v1");
        AppendField(hash, approvalId);
        AppendField(hash, conversationId ?? "");
        AppendField(hash, callId);
        AppendField(hash, toolName);
        hash.AppendData(CanonicalJson.ToUtf8(canonicalArguments));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string ChainHash(ApprovalAuditEntry entry, ReadOnlySpan<byte> key)
    {
        using IncrementalHash hash = key.IsEmpty
            ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256)
            : IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendField(hash, "hil-audit-v1");
        AppendField(hash, entry.PreviousHash);
        AppendField(hash, entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendField(hash, entry.Timestamp.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendField(hash, entry.Event.ToString());
        AppendField(hash, entry.Actor);
        AppendField(hash, entry.CallId ?? "");
        AppendField(hash, entry.ToolName ?? "");
        AppendField(hash, entry.Fingerprint ?? "");
        AppendField(hash, entry.Reason ?? "");
        if (entry.Arguments is { } arguments)
        {
            hash.AppendData(CanonicalJson.ToUtf8(arguments));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The HMAC-SHA256 (hex) of a whole stored record, with a domain prefix.</summary>
    public static string RecordSeal(string json, ReadOnlySpan<byte> key)
    {
        using IncrementalHash hash = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendField(hash, "hil-record-v1");
        AppendField(hash, json);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendField(IncrementalHash hash, string value)
    {
        // Length-prefixed so that field boundaries cannot be shifted to forge a collision.
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
