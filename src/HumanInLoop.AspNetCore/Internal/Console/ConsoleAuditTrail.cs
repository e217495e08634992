namespace HumanInLoop.AspNetCore.Internal;

/// <summary>An approval's audit trail as the console shows it, and whether its hash chain held when it was read.</summary>
/// <param name="ApprovalId">The approval.</param>
/// <param name="Verified">Whether every link of the chain was checked and held (the store's record was read and verified).</param>
/// <param name="Keyed">Whether the links are HMACs with the host's integrity key (a forger without the key cannot rebuild them), not plain hashes.</param>
/// <param name="Problem">Why the trail cannot be shown as verified: the break found, or a record that cannot be read.</param>
/// <param name="Entries">The entries, oldest first; empty when the chain is broken (nothing unverified is shown).</param>
internal sealed record ConsoleAuditTrail(string ApprovalId, bool Verified, bool Keyed, string? Problem, IReadOnlyList<ConsoleAuditEntry> Entries);
