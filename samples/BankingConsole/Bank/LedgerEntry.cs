namespace BankingConsole;

/// <summary>One recorded movement of money.</summary>
/// <param name="Id">The entry number, in order of recording.</param>
/// <param name="Kind"><c>deposit</c> or <c>transfer</c>.</param>
/// <param name="From">The account debited, or <see langword="null"/> for a deposit.</param>
/// <param name="To">The account credited.</param>
/// <param name="Cents">The amount, in cents.</param>
/// <param name="IdempotencyKey">The key of the approved call that made it, or <see langword="null"/> when the call ran without an approval record.</param>
/// <param name="ApprovalId">The approval the call belonged to, if any.</param>
internal sealed record LedgerEntry(long Id, string Kind, string? From, string To, long Cents, string? IdempotencyKey, string? ApprovalId);
