namespace BankingConsole;

/// <summary>One account and what it holds.</summary>
/// <param name="Account">The account name.</param>
/// <param name="Cents">The balance, in cents.</param>
internal sealed record AccountBalance(string Account, long Cents);
