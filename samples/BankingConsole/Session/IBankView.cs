using HumanInLoop;

namespace BankingConsole;

/// <summary>How the session shows things: plain parseable lines for scripts, or a friendlier terminal display for people.</summary>
internal interface IBankView
{
    /// <summary>Gets a value indicating whether a person is at a terminal (and can be asked to decide on the spot).</summary>
    bool IsInteractive { get; }

    void Ready(BankMode mode, string model, string dataDirectory, string approver);

    /// <summary>Shows the calls of an approval that wait for a person: tool, arguments, reason.</summary>
    void Pending(PendingApproval approval);

    /// <summary>Shows an approval that is not pending but not finished either (decided but not resumed, or stuck).</summary>
    void Unfinished(PendingApproval approval);

    /// <summary>Shows a tool call or plan action that was answered: what ran, or why it did not.</summary>
    void Result(string tool, string arguments, string text);

    void Answer(string text);

    /// <summary>Shows a decision (APPROVED, REJECTED) or a deferral (LATER) recorded at this console.</summary>
    void Recorded(string what, string approvalId, string? callId = null, string? reason = null);

    void Balances(IReadOnlyList<AccountBalance> balances);

    void Ledger(IReadOnlyList<LedgerEntry> entries);

    void Help();

    /// <summary>Shows the automation report: totals, per tool, per policy, time to decision and the shadow candidate's agreement.</summary>
    void Report(AutomationReport report);

    /// <summary>Shows what the rule set <paramref name="candidate"/> would have done with the recorded calls.</summary>
    void Replay(string candidate, ReplayReport report);

    /// <summary>Shows standing grants (listed, or just made).</summary>
    void Grants(IReadOnlyList<ApprovalGrant> grants, DateTimeOffset now);

    /// <summary>Tells a person something that needs no record (scripts do not get it).</summary>
    void Note(string text);

    /// <summary>Ends a command that succeeded.</summary>
    void Done(string command);

    /// <summary>Ends a command that failed; nothing changed.</summary>
    void Error(string message);

    /// <summary>Asks a person something (interactive only).</summary>
    void Prompt(string text);
}
