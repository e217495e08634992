namespace BankingConsole;

/// <summary>One thing a customer asked for, as the scripted model understood it.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Account">The account to send to (transfer) or to read (balance check), if named.</param>
/// <param name="Amount">The amount, for deposits and transfers.</param>
internal sealed record BankRequest(BankActionKind Kind, string? Account, decimal? Amount);
