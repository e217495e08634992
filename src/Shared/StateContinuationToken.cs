using System.Globalization;

namespace HumanInLoop.Internal;

/// <summary>Builds and reads the keyset continuation tokens of <see cref="IStateStore.ListAsync"/> (opaque to callers: pages expose them as strings). Compiled into each store package.</summary>
/// <remarks>
/// A token names the last entry of a page and the order it was listed in; the next page holds the entries that sort after it
/// (<see cref="StateOrder.NewestFirst"/>: older, then smaller id; <see cref="StateOrder.SoonestDeadlineFirst"/>: later deadline, then
/// greater id). A token of one order is refused for the other.
/// </remarks>
internal static class StateContinuationToken
{
    // Marks a token of the deadline order; tokens of the creation order keep the format they always had.
    private const string DeadlineMark = "d";

    /// <summary>Makes the token that continues after <paramref name="last"/>.</summary>
    /// <param name="last">The last entry of the page.</param>
    /// <returns>An opaque, URL-safe token.</returns>
    public static string Create(StateEntry last) => Create(last, StateOrder.NewestFirst);

    /// <summary>Makes the token that continues after <paramref name="last"/> in <paramref name="order"/>.</summary>
    /// <param name="last">The last entry of the page.</param>
    /// <param name="order">The order of the listing.</param>
    /// <returns>An opaque, URL-safe token.</returns>
    public static string Create(StateEntry last, StateOrder order)
    {
        ArgumentNullException.ThrowIfNull(last);
        return order == StateOrder.SoonestDeadlineFirst ? Create(last.ExpiresAt, last.Id, order) : Create(last.CreatedAt, last.Id);
    }

    /// <summary>Makes a token from the sort key (a time, then an id) of the last row of a page.</summary>
    /// <param name="at">The row's time; kept to the millisecond, as the stores keep it.</param>
    /// <param name="id">The row's id.</param>
    /// <param name="order">The order of the listing: <see cref="StateOrder.NewestFirst"/> (creation time) for all but a deadline listing.</param>
    /// <returns>An opaque token.</returns>
    public static string Create(DateTimeOffset at, string id, StateOrder order = StateOrder.NewestFirst)
    {
        string raw = $"{(order == StateOrder.SoonestDeadlineFirst ? DeadlineMark : "")}{at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}:{id}";
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads a token made by <see cref="Create(DateTimeOffset, string, StateOrder)"/>.</summary>
    /// <param name="token">The token.</param>
    /// <param name="order">The order of the listing the token must continue.</param>
    /// <returns>The time (creation, or the deadline in <see cref="StateOrder.SoonestDeadlineFirst"/>) and id of the entry the next page starts after.</returns>
    /// <exception cref="ArgumentException">The token is malformed, or was made for another order.</exception>
    public static (DateTimeOffset CreatedAt, string Id) Parse(string token, StateOrder order = StateOrder.NewestFirst)
    {
        ArgumentNullException.ThrowIfNull(token);
        try
        {
            string base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            string raw = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            bool deadline = raw.StartsWith(DeadlineMark, StringComparison.Ordinal);
            if (deadline != (order == StateOrder.SoonestDeadlineFirst))
            {
                throw new ArgumentException(
                    $"The continuation token continues a listing in another order than {order}; pass the order the first page was listed in.", nameof(token));
            }

            raw = deadline ? raw[DeadlineMark.Length..] : raw;
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
