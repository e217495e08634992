namespace BankingConsole;

/// <summary>The arguments of the <c>transfer</c> tool, as the policies read them.</summary>
/// <param name="To">The account to send money to.</param>
/// <param name="Amount">The amount in dollars.</param>
internal sealed record TransferArgs(string? To, decimal Amount);
