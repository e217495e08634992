using System.Globalization;

namespace HumanInLoop.Internal;

/// <summary>Builds and reads the keyset continuation tokens of <see cref="IStateStore.ListAsync"/> (opaque to callers: pages expose them as strings). Compiled into each store package.</summary>
/// <remarks>A token names the last entry of a page; the next page holds the entries that sort after it (older, then smaller id).</remarks>
internal static class StateContinuationToken
{
    /// <summary>Makes the token that continues after <paramref name="last"/>.</summary>
    /// <param name="last">The last entry of the page.</param>
    /// <returns>An opaque, URL-safe token.</returns>
    public static string Create(StateEntry last)
    {
        ArgumentNullException.ThrowIfNull(last);
        return Create(last.CreatedAt, last.Id);
    }

    /// <summary>Makes a token from the sort key (a time, then an id) of the last row of a page.</summary>
    /// <param name="at">The row's time; kept to the millisecond, as the stores keep it.</param>
    /// <param name="id">The row's id.</param>
    /// <returns>An opaque token.</returns>
    public static string Create(DateTimeOffset at, string id)
    {
        string raw = $"{at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}:{id}";
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads a token made by <see cref="Create(DateTimeOffset, string)"/>.</summary>
    /// <param name="token">The token.</param>
    /// <returns>The creation time and id of the entry the next page starts after.</returns>
    /// <exception cref="ArgumentException">The token is malformed.</exception>
    public static (DateTimeOffset CreatedAt, string Id) Parse(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        try
        {
            string base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            string raw = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            int colon = raw.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(raw.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out long ms) && colon < raw.Length - 1)
            {
                return (DateTimeOffset.FromUnixTimeMilliseconds(ms), raw[(colon + 1)..]);
            }
        }
        catch (FormatException)
        {
        }

        throw new ArgumentException("The continuation token is malformed.", nameof(token));
    }
}
