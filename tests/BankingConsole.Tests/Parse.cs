using System.Globalization;
using System.Text.RegularExpressions;

namespace BankingConsole.Tests;

/// <summary>Reads the console's script lines, as any script would.</summary>
internal static partial class Parse
{
    public static Dictionary<string, decimal> Balances(IEnumerable<string> lines) => lines
        .Where(l => l.StartsWith("BALANCE ", StringComparison.Ordinal))
        .Select(l => l.Split(' '))
        .ToDictionary(p => p[1], p => decimal.Parse(p[2], CultureInfo.InvariantCulture));

    public static List<PendingLine> Pending(IEnumerable<string> lines) =>
        [.. lines.Select(l => PendingPattern().Match(l)).Where(m => m.Success)
            .Select(m => new PendingLine(m.Groups["id"].Value, m.Groups["tool"].Value, m.Groups["args"].Value, m.Groups["call"].Value, m.Groups["reason"].Value))];

    public static List<string> Starting(IEnumerable<string> lines, string keyword) =>
        [.. lines.Where(l => l.StartsWith(keyword + " ", StringComparison.Ordinal)).Select(l => l[(keyword.Length + 1)..])];

    public static string Answer(IEnumerable<string> lines) => Assert.Single(Starting(lines, "ANSWER"));

    [GeneratedRegex("^PENDING (?<id>\\S+) (?<tool>\\S+) (?<args>\\{.*\\}) call=(?<call>\\S+) reason=(?<reason>.*)$")]
    private static partial Regex PendingPattern();
}

internal sealed record PendingLine(string ApprovalId, string Tool, string Arguments, string CallId, string Reason);
