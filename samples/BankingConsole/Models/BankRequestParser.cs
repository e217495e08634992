using System.Globalization;
using System.Text.RegularExpressions;

namespace BankingConsole;

/// <summary>
/// The few phrasings the scripted model understands: "transfer 500 to bob", "send $20 to alice", "pay bob 30",
/// "deposit 20", "what is my balance", "what is bob's balance", joined by "and", "then", commas or semicolons.
/// </summary>
internal static partial class BankRequestParser
{
    private const string Amount = @"(?<amount>-?\s*\$?\s*-?[\d,]*\.?\d+)\s*(?:dollars?|usd|bucks)?";
    private const string Name = @"(?<name>[a-z][a-z0-9_-]*)";

    /// <summary>Parses a request, or returns <see langword="null"/> when any part of it is not understood.</summary>
    public static IReadOnlyList<BankRequest>? Parse(string text)
    {
        List<BankRequest> requests = [];
        string normalized = text.Trim().ToLowerInvariant().Replace('’', '\'');
        foreach (string clause in Separators().Split(normalized))
        {
            string part = clause.Trim().TrimEnd('.', '!', '?').Trim();
            if (part.Length == 0)
            {
                continue;
            }

            BankRequest? request = ParseClause(part);
            if (request is null)
            {
                return null;
            }

            requests.Add(request);
        }

        return requests.Count == 0 ? null : requests;
    }

    private static BankRequest? ParseClause(string part)
    {
        Match transfer = TransferTo().Match(part);
        if (!transfer.Success)
        {
            transfer = PayName().Match(part);
        }

        if (transfer.Success)
        {
            return ReadAmount(transfer) is { } amount ? new BankRequest(BankActionKind.Transfer, transfer.Groups["name"].Value, amount) : null;
        }

        if (Deposit().Match(part) is { Success: true } deposit)
        {
            return ReadAmount(deposit) is { } amount ? new BankRequest(BankActionKind.Deposit, null, amount) : null;
        }

        if (Balance().Match(part) is { Success: true } balance)
        {
            string? account = balance.Groups["name"].Success ? balance.Groups["name"].Value : null;
            return new BankRequest(BankActionKind.CheckBalance, account is "my" or "me" or "i" ? null : account, null);
        }

        return null;
    }

    private static decimal? ReadAmount(Match match)
    {
        string raw = match.Groups["amount"].Value.Replace("$", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        bool negative = raw.StartsWith('-');
        return decimal.TryParse(raw.TrimStart('-'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal amount)
            ? negative ? -amount : amount
            : null;
    }

    [GeneratedRegex(@"\s*(?:[,;]|\band then\b|\bthen\b|\band\b)\s*")]
    private static partial Regex Separators();

    [GeneratedRegex("^(?:please\\s+)?(?:transfer|send|pay|move|wire)\\s+" + Amount + "\\s+to\\s+" + Name + "$")]
    private static partial Regex TransferTo();

    [GeneratedRegex("^(?:please\\s+)?(?:pay|send)\\s+" + Name + "\\s+" + Amount + "$")]
    private static partial Regex PayName();

    [GeneratedRegex("^(?:please\\s+)?(?:deposit|add|put)\\s+" + Amount + "(?:\\s+(?:in|into|to)\\s+(?:my\\s+)?(?:account|savings|checking))?$")]
    private static partial Regex Deposit();

    [GeneratedRegex(@"^(?:(?:what(?:'s|\s+is)|show(?:\s+me)?|check|tell\s+me|get)\s+)?(?:the\s+)?(?:(?<name>[a-z][a-z0-9_-]*?)(?:'s)?\s+)?balance(?:\s+(?:of|for)\s+(?<name>[a-z][a-z0-9_-]*))?$|^how\s+much\s+(?:money\s+)?(?:do\s+i\s+have|does\s+(?<name>[a-z][a-z0-9_-]*)\s+have)$")]
    private static partial Regex Balance();
}
