using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Slack's request signing (version <c>v0</c>): <c>v0=</c> followed by the hex HMAC-SHA256 of <c>v0:{timestamp}:{raw body}</c>
/// keyed with the app's signing secret, sent in <c>X-Slack-Signature</c> with the timestamp in <c>X-Slack-Request-Timestamp</c>.
/// </summary>
internal static class SlackRequestSignature
{
    /// <summary>The header with the signature.</summary>
    public const string SignatureHeader = "X-Slack-Signature";

    /// <summary>The header with the request's Unix timestamp (seconds).</summary>
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    /// <summary>Gets how far a request's timestamp may be from now, either way: 5 minutes, as Slack recommends against replays.</summary>
    public static TimeSpan MaxClockSkew { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Computes the signature Slack sends for a request.</summary>
    /// <param name="signingSecret">The app's signing secret.</param>
    /// <param name="timestamp">The value of <see cref="TimestampHeader"/>, exactly as sent.</param>
    /// <param name="body">The raw request body, byte for byte.</param>
    /// <returns><c>v0=</c> and 64 lowercase hex digits.</returns>
    public static string Compute(string signingSecret, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingSecret);
        ArgumentNullException.ThrowIfNull(timestamp);
        byte[] prefix = Encoding.UTF8.GetBytes($"v0:{timestamp}:");
        byte[] basestring = new byte[prefix.Length + body.Length];
        prefix.CopyTo(basestring, 0);
        body.CopyTo(basestring.AsSpan(prefix.Length));
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingSecret), basestring));
    }

    /// <summary>
    /// Checks a request: the timestamp is within <see cref="MaxClockSkew"/> of <paramref name="now"/>, and the signature
    /// matches (compared in constant time). Call it on the raw body, before parsing anything.
    /// </summary>
    /// <param name="signingSecret">The app's signing secret.</param>
    /// <param name="timestamp">The value of <see cref="TimestampHeader"/>.</param>
    /// <param name="signature">The value of <see cref="SignatureHeader"/>.</param>
    /// <param name="body">The raw request body.</param>
    /// <param name="now">The current time, from the host's <see cref="TimeProvider"/>.</param>
    /// <returns>The outcome; only <see cref="SlackSignatureStatus.Valid"/> may be processed.</returns>
    public static SlackSignatureStatus Verify(string signingSecret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingSecret);
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature) || timestamp.Length > 20 ||
            !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return SlackSignatureStatus.Missing;
        }

        long skew = Math.Abs(now.ToUnixTimeSeconds() - seconds);
        if (seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds() || skew > (long)MaxClockSkew.TotalSeconds)
        {
            return SlackSignatureStatus.Stale;
        }

        byte[] expected = Encoding.ASCII.GetBytes(Compute(signingSecret, timestamp, body));
        byte[] actual = Encoding.UTF8.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? SlackSignatureStatus.Valid : SlackSignatureStatus.Mismatch;
    }
}
