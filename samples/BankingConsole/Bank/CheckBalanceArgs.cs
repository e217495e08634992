namespace BankingConsole;

/// <summary>The arguments of the <c>check_balance</c> tool, as the policies read them.</summary>
/// <param name="Account">The account to read, or <see langword="null"/> for the customer's own.</param>
internal sealed record CheckBalanceArgs(string? Account = null);
