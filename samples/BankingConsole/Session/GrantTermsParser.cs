using System.Globalization;
using HumanInLoop;

namespace BankingConsole;

/// <summary>
/// Reads the terms of a standing grant as typed after <c>--grant</c>: a duration (<c>30m</c>, <c>8h</c>, <c>7d</c>), then argument
/// bounds (<c>to=bob</c>, <c>amount&lt;=200</c>), optionally <c>scope=user|conversation|tenant</c> (default user: carol's later calls).
/// </summary>
internal static class GrantTermsParser
{
    public const string Usage = "--grant <duration> [name=value ...] [name<=number ...] [scope=user|conversation|tenant], e.g. --grant 8h to=bob amount<=200";

    public static GrantTerms Parse(IReadOnlyList<string> words)
    {
        if (words.Count == 0)
        {
            throw new CommandException($"A grant needs a duration: {Usage}");
        }

        TimeSpan duration = Duration(words[0]);
        GrantScope scope = GrantScope.User;
        List<GrantArgumentBound> bounds = [];
        foreach (string word in words.Skip(1))
        {
            int atMost = word.IndexOf("<=", StringComparison.Ordinal);
            int equal = word.IndexOf('=', StringComparison.Ordinal);
            if (atMost > 0)
            {
                bounds.Add(decimal.TryParse(word[(atMost + 2)..], NumberStyles.Number, CultureInfo.InvariantCulture, out decimal maximum)
                    ? GrantArgumentBound.AtMost(word[..atMost], maximum)
                    : throw new CommandException($"'{word}': the bound after <= must be a number."));
            }
            else if (equal > 0 && word[..equal] == "scope")
            {
                scope = Enum.TryParse(word[(equal + 1)..], ignoreCase: true, out GrantScope parsed) && Enum.IsDefined(parsed)
                    ? parsed
                    : throw new CommandException($"'{word}': the scope is user, conversation or tenant.");
            }
            else if (equal > 0 && equal < word.Length - 1)
            {
                // A number compares as a number (200 equals 200.0); anything else as text.
                string value = word[(equal + 1)..];
                bounds.Add(decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal number)
                    ? GrantArgumentBound.Equal(word[..equal], number)
                    : GrantArgumentBound.Equal(word[..equal], value));
            }
            else
            {
                throw new CommandException($"'{word}' is not a bound: {Usage}");
            }
        }

        try
        {
            return new GrantTerms(scope, duration, bounds);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new CommandException($"A grant lasts at most {GrantTerms.MaxDuration.TotalDays:0} days.");
        }
    }

    private static TimeSpan Duration(string word)
    {
        if (word.Length >= 2 && double.TryParse(word[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount > 0)
        {
            switch (word[^1])
            {
                case 'm':
                    return TimeSpan.FromMinutes(amount);
                case 'h':
                    return TimeSpan.FromHours(amount);
                case 'd':
                    return TimeSpan.FromDays(amount);
            }
        }

        throw new CommandException($"'{word}' is not a duration such as 30m, 8h or 7d: {Usage}");
    }
}
