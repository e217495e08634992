namespace HumanInLoop.Internal;

/// <summary>Checks for text that every store can keep exactly: no lone surrogate (stored, it would become U+FFFD or be refused).</summary>
internal static class Utf16Text
{
    public static bool IsWellFormed(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
