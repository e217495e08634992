namespace BankingConsole;

/// <summary>The arguments of the <c>deposit</c> tool, as the policies read them.</summary>
/// <param name="Amount">The amount in dollars.</param>
internal sealed record DepositArgs(decimal Amount);
