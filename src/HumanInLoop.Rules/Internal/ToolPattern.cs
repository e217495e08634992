namespace HumanInLoop.Rules.Internal;

/// <summary>A tool name, or a pattern in which <c>*</c> stands for any run of characters (<c>transfer_*</c>, <c>*</c>); case-sensitive, as tool names are.</summary>
internal static class ToolPattern
{
    public static bool Matches(string pattern, string name) => Matches(pattern.AsSpan(), name.AsSpan());

    private static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        int star = pattern.IndexOf('*');
        if (star < 0)
        {
            return pattern.SequenceEqual(name);
        }

        if (!name.StartsWith(pattern[..star]))
        {
            return false;
        }

        ReadOnlySpan<char> rest = pattern[(star + 1)..];
        ReadOnlySpan<char> tail = name[star..];
        for (int i = 0; i <= tail.Length; i++)
        {
            if (Matches(rest, tail[i..]))
            {
                return true;
            }
        }

        return false;
    }
}
