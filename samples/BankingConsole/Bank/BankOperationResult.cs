namespace BankingConsole;

/// <summary>What a deposit or transfer did, in words the model and the person can both read.</summary>
/// <param name="Succeeded">Whether money moved (now, or the first time, for a replay).</param>
/// <param name="Replayed">Whether the idempotency key had been used already, so nothing moved this time.</param>
/// <param name="Message">A sentence saying what happened.</param>
internal sealed record BankOperationResult(bool Succeeded, bool Replayed, string Message);
