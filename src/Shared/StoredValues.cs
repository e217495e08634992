using System.Buffers;
using System.Text;

namespace HumanInLoop.Internal;

/// <summary>What a relational store can keep exactly: times to the millisecond, and text without lone surrogates. Compiled into each store package.</summary>
internal static class StoredValues
{
    /// <summary>The time as the stores keep it: whole milliseconds (UTC), the precision of the continuation tokens.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The time truncated to the millisecond, with offset zero.</returns>
    public static DateTimeOffset Milliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>
    /// The first whole millisecond at or after <paramref name="time"/>, as Unix milliseconds: a bound on times kept in whole
    /// milliseconds that selects exactly what the bound itself would (at or after it, or before it).
    /// </summary>
    /// <param name="time">The bound.</param>
    /// <returns>Unix milliseconds.</returns>
    public static long CeilingUnixMilliseconds(DateTimeOffset time)
    {
        long milliseconds = time.ToUnixTimeMilliseconds();
        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) < time ? milliseconds + 1 : milliseconds;
    }

    /// <summary>
    /// Whether <paramref name="text"/> holds no lone surrogate. Entries refuse such text (<see cref="StateEntry"/>), so a filter or id
    /// holding one matches nothing stored; bound as a parameter, it would become U+FFFD (SQLite) or be refused (PostgreSQL).
    /// </summary>
    /// <param name="text">The text, or <see langword="null"/> (which counts as well formed).</param>
    /// <returns><see langword="true"/> if a store could have kept it.</returns>
    public static bool IsWellFormed(string? text)
    {
        ReadOnlySpan<char> rest = text;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out int consumed) != OperationStatus.Done)
            {
                return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }
}
