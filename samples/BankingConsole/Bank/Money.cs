using System.Globalization;

namespace BankingConsole;

/// <summary>Amounts of money: dollars with at most two decimals, kept as whole cents so nothing is ever rounded.</summary>
internal static class Money
{
    /// <summary>The largest amount one deposit or transfer may move.</summary>
    public const decimal MaxAmount = 1_000_000m;

    /// <summary>Says what is wrong with an amount, or returns <see langword="null"/> when it may be moved.</summary>
    public static string? Validate(decimal amount) => amount switch
    {
        <= 0m => $"The amount must be more than zero; {Plain(amount)} is not.",
        > MaxAmount => $"The amount must be at most {Display(MaxAmount)}; {Display(amount)} is not.",
        _ when decimal.Round(amount, 2) != amount => $"The amount must be in whole cents; {amount.ToString(CultureInfo.InvariantCulture)} is not.",
        _ => null,
    };

    /// <summary>Converts a validated amount to cents.</summary>
    public static long ToCents(decimal amount) => (long)(amount * 100m);

    /// <summary>Converts cents to dollars.</summary>
    public static decimal FromCents(long cents) => cents / 100m;

    /// <summary>For scripts: <c>1234.50</c>.</summary>
    public static string Plain(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>For people: <c>$1,234.50</c>.</summary>
    public static string Display(decimal amount) =>
        (amount < 0 ? "-$" : "$") + Math.Abs(amount).ToString("#,##0.00", CultureInfo.InvariantCulture);

    /// <summary>For people: <c>$1,234.50</c>.</summary>
    public static string Display(long cents) => Display(FromCents(cents));
}
