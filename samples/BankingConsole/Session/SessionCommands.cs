namespace BankingConsole;

/// <summary>The commands the console understands, shared by scripts and people.</summary>
internal static class SessionCommands
{
    public static readonly string[] Help =
    [
        "say <request>                  ask the assistant, e.g. say transfer 500 to bob",
        "approve <id> [callId]          approve the waiting calls of an approval (or one call), then resume it; <id> may be 'last'",
        "  ... --grant 8h to=bob amount<=200   and don't ask again: later transfers within the bounds run at once for 8 hours",
        "reject <id> [callId] <reason>  reject them with a reason (the model is told), then resume",
        "respond <id> [callId] <text>   answer the call yourself: the tool does not run, the model receives <text> as its result",
        "later [id]                     leave it pending; it stays in the store across restarts",
        "pending                        list what waits for a decision (or for a resume)",
        "resume <id>                    resume an approval that is decided but was not resumed",
        "report                         the automation report: what ran at once, what people decided and how fast, per tool and policy",
        "replay [current]               what the looser candidate (transfers up to $1,000 at once), or today's rules, would have done",
        "grants                         list the standing grants",
        "revoke <grantId> <reason>      revoke a standing grant",
        "balances                       show every account",
        "ledger                         show every deposit and transfer, with the idempotency key of approved ones",
        "help                           show this list",
        "quit                           leave (pending approvals stay pending)",
    ];

    /// <summary>Splits a line into its command word and the rest, or returns <see langword="null"/> for a line that is not a command.</summary>
    public static (string Command, string Arguments)? Split(string line)
    {
        string trimmed = line.Trim();
        int space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        string word = (space < 0 ? trimmed : trimmed[..space]).ToLowerInvariant();
        string rest = space < 0 ? "" : trimmed[(space + 1)..].Trim();
        return word is "say" or "approve" or "reject" or "respond" or "later" or "pending" or "resume" or "balances" or "ledger" or "report" or "replay" or "grants" or "revoke" or "help" or "quit" or "exit"
            ? (word, rest)
            : null;
    }
}
