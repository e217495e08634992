using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop.Notifications.Internal;

/// <summary>What a link token says, as signed.</summary>
internal sealed record LinkClaims(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("a")] string ApprovalId,
    [property: JsonPropertyName("c")] string CallId,
    [property: JsonPropertyName("f")] string Fingerprint,
    [property: JsonPropertyName("d")] string Decision,
    [property: JsonPropertyName("k")] string RecipientKind,
    [property: JsonPropertyName("r")] string RecipientId,
    [property: JsonPropertyName("e")] long ExpiresAtUnixSeconds,
    [property: JsonPropertyName("n")] string Nonce)
{
    [JsonIgnore]
    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeSeconds(ExpiresAtUnixSeconds);
}

internal enum LinkTokenStatus
{
    Valid,
    Invalid,
    Expired,
}

/// <summary>
/// The link token format: <c>hil1.{base64url(JSON claims)}.{base64url(HMAC-SHA256(key, "hil1." + base64url(claims)))}</c>.
/// The MAC is checked (constant-time, against every accepted key) before the claims are parsed.
/// </summary>
internal static class LinkToken
{
    public const string Prefix = "hil1";
    public const int MaxLength = 4096;

    private static readonly JsonSerializerOptions s_json = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 4,
    };

    public static string Create(LinkClaims claims, ReadOnlySpan<byte> key)
    {
        string body = Prefix + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims, s_json));
        return body + "." + Base64Url.EncodeToString(Mac(body, key));
    }

    public static (LinkTokenStatus Status, LinkClaims? Claims) Verify(string? token, IReadOnlyList<ReadOnlyMemory<byte>> keys, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength || !IsTokenText(token))
        {
            return (LinkTokenStatus.Invalid, null);
        }

        int last = token.LastIndexOf('.');
        if (last <= 0 || !token.StartsWith(Prefix + ".", StringComparison.Ordinal) || token.IndexOf('.', Prefix.Length + 1) != last)
        {
            return (LinkTokenStatus.Invalid, null);
        }

        string body = token[..last];
        byte[] mac;
        try
        {
            mac = Base64Url.DecodeFromChars(token.AsSpan(last + 1));
        }
        catch (FormatException)
        {
            return (LinkTokenStatus.Invalid, null);
        }

        bool signed = false;
        foreach (ReadOnlyMemory<byte> key in keys)
        {
            // Check every key (no early exit), so the time taken does not tell which key matched.
            signed |= CryptographicOperations.FixedTimeEquals(mac, Mac(body, key.Span));
        }

        if (!signed)
        {
            return (LinkTokenStatus.Invalid, null);
        }

        LinkClaims? claims;
        try
        {
            claims = JsonSerializer.Deserialize<LinkClaims>(Base64Url.DecodeFromChars(body.AsSpan(Prefix.Length + 1)), s_json);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or NotSupportedException)
        {
            return (LinkTokenStatus.Invalid, null);
        }

        if (claims is null || claims.Version != 1 || string.IsNullOrEmpty(claims.ApprovalId) || string.IsNullOrEmpty(claims.CallId) ||
            string.IsNullOrEmpty(claims.Fingerprint) || !LinkDecision.IsValid(claims.Decision) ||
            string.IsNullOrEmpty(claims.RecipientKind) || string.IsNullOrEmpty(claims.RecipientId))
        {
            return (LinkTokenStatus.Invalid, null);
        }

        return now.ToUnixTimeSeconds() >= claims.ExpiresAtUnixSeconds ? (LinkTokenStatus.Expired, claims) : (LinkTokenStatus.Valid, claims);
    }

    /// <summary>The hash under which a used token is recorded; the token itself is never stored.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Only base64url characters and dots, so the ASCII bytes signed and hashed are exactly the token's characters.</summary>
    public static bool IsTokenText(string token)
    {
        foreach (char c in token)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    public static string NewNonce() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    private static byte[] Mac(string body, ReadOnlySpan<byte> key) => HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body));
}
