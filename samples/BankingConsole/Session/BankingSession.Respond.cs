using HumanInLoop;

namespace BankingConsole;

/// <content>Answering a held call in place of the tool: the tool never runs, and the model receives the teller's text as its result.</content>
internal sealed partial class BankingSession
{
    /// <summary><c>respond &lt;id|last&gt; [callId] &lt;text&gt;</c>: the named call, or the only one waiting.</summary>
    private async Task RespondCommandAsync(string rest, CancellationToken cancellationToken)
    {
        string[] words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new CommandException("respond needs an approval id and the answer: respond <id> [callId] <text>");
        }

        PendingApproval approval = await _approvals.GetAsync(ResolveId(words[0]), cancellationToken);

        // As for reject: the second word is a call id only when the approval has a call with that id.
        PendingToolCall? named = words.Length > 1 ? approval.FindCall(words[1]) : null;
        string text = string.Join(' ', words.Skip(named is null ? 1 : 2));
        if (text.Length == 0)
        {
            throw new CommandException("respond needs the answer the model receives in place of the tool: respond <id> [callId] <text>");
        }

        PendingToolCall call = named ?? approval.AwaitingApproval.ToList() switch
        {
            [PendingToolCall only] => only,
            [] => throw new CommandException($"Approval {approval.Id} has no calls waiting for a decision (it is {approval.Status})."),
            { Count: var count } => throw new CommandException($"Approval {approval.Id} has {count} calls waiting; name the one to answer: respond <id> <callId> <text>"),
        };
        await RespondAsync(approval, call, text, cancellationToken);
    }

    /// <summary>Records the answer (bound to the fingerprint that was shown), then resumes once nothing waits.</summary>
    private async Task RespondAsync(PendingApproval approval, PendingToolCall call, string text, CancellationToken cancellationToken)
    {
        ApprovalDecision decision = ApprovalDecision.RespondInstead(_approver, text) with { ExpectedFingerprint = call.Fingerprint };
        PendingApproval latest = await _approvals.DecideAsync(approval.Id, call.CallId, decision, cancellationToken);
        _view.Recorded("RESPONDED", approval.Id, call.CallId);
        await ContinueAsync(latest, cancellationToken);
    }
}
