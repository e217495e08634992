using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <content>Decisions and resumes: approve, reject, answer instead, later, and what is left unfinished at start.</content>
internal sealed partial class BankingSession
{
    private async Task DecideCommandAsync(string rest, bool approve, CancellationToken cancellationToken)
    {
        string[] words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new CommandException(approve ? "approve needs an approval id: approve <id> [callId]" : "reject needs an approval id and a reason: reject <id> [callId] <reason>");
        }

        // approve <id> [callId] --grant 8h to=bob amount<=200: approve, and let later calls within the bounds run at once.
        GrantTerms? grant = null;
        if (approve && Array.IndexOf(words, "--grant") is int at and >= 0)
        {
            grant = GrantTermsParser.Parse(words[(at + 1)..]);
            words = words[..at];
        }

        PendingApproval approval = await _approvals.GetAsync(ResolveId(words[0]), cancellationToken);
        List<PendingToolCall> calls;
        string? reason = null;
        if (approve)
        {
            if (words.Length > 2)
            {
                throw new CommandException("approve takes an approval id and, optionally, one call id: approve <id> [callId] [--grant <duration> <bounds>]");
            }

            calls = words.Length == 2
                ? [approval.FindCall(words[1]) ?? throw new CommandException($"Approval {approval.Id} has no call '{words[1]}'.")]
                : [.. approval.AwaitingApproval];
        }
        else
        {
            // reject <id> <callId> <reason> when the second word names a call of the approval, else reject <id> <reason>.
            // A lone word that names a call is that call without a reason, not a reason for every call.
            PendingToolCall? one = words.Length > 1 ? approval.FindCall(words[1]) : null;
            calls = one is null ? [.. approval.AwaitingApproval] : [one];
            reason = string.Join(' ', words.Skip(one is null ? 1 : 2));
            if (reason.Length == 0)
            {
                throw new CommandException("reject needs a reason, which the model is told: reject <id> [callId] <reason>");
            }
        }

        if (calls.Count == 0)
        {
            throw new CommandException($"Approval {approval.Id} has no calls waiting for a decision (it is {approval.Status}).");
        }

        if (grant is not null && calls.Count != 1)
        {
            throw new CommandException($"A grant is made with the approval of one call; approval {approval.Id} has {calls.Count} waiting. Name the call: approve <id> <callId> --grant ...");
        }

        await DecideAsync(approval, calls, reason, cancellationToken, grant);
    }

    /// <summary>Records one decision per call (bound to the fingerprint that was shown), then resumes once nothing waits.</summary>
    private async Task DecideAsync(
        PendingApproval approval, IEnumerable<PendingToolCall> calls, string? rejection, CancellationToken cancellationToken, GrantTerms? grant = null)
    {
        PendingApproval latest = approval;
        foreach (PendingToolCall call in calls)
        {
            ApprovalDecision decision = rejection is null ? ApprovalDecision.Approve(_approver) with { Grant = grant } : ApprovalDecision.Reject(_approver, rejection);
            latest = await _approvals.DecideAsync(approval.Id, call.CallId, decision with { ExpectedFingerprint = call.Fingerprint }, cancellationToken);
            _view.Recorded(rejection is null ? "APPROVED" : "REJECTED", approval.Id, call.CallId, rejection);
            if (grant is not null)
            {
                await ShowGrantAsync(approval, call, cancellationToken);
            }
        }

        await ContinueAsync(latest, cancellationToken);
    }

    /// <summary>After a decision: resumes once nothing waits, else shows what still does.</summary>
    private async Task ContinueAsync(PendingApproval latest, CancellationToken cancellationToken)
    {
        if (latest.Status == ApprovalStatus.Decided)
        {
            await ResumeAsync(latest, cancellationToken);
        }
        else if (!_view.IsInteractive)
        {
            // Other calls of the batch still wait (a person at the terminal is being asked about them one by one).
            _view.Pending(latest);
        }
    }

    /// <summary>Continues a decided approval: the library claims it, runs what was approved once, and (tool calling) asks the model again.</summary>
    private async Task ResumeAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        if (approval.Origin == ApprovalOrigin.ActionPlan)
        {
            PlanResult resumed = await _approvals.ResumePlanAsync(approval.Id, _tools, cancellationToken);
            List<string> sentences = [];
            foreach (ActionOutcome outcome in resumed.Actions)
            {
                PendingToolCall? call = approval.FindCall(outcome.Id);
                string arguments = call?.ArgumentsToRun.GetRawText() ?? "{}";
                _view.Result(outcome.Name, arguments, OutcomeText(outcome));
                sentences.Add(OutcomeSentence(outcome, call is null ? outcome.Name : ToolText.Describe(call.ToolName, call.ArgumentsToRun)));
            }

            _view.Answer(string.Join(" ", sentences));
            await ShowBalancesToPeopleAsync(cancellationToken);
            return;
        }

        ResumeResult result;
        try
        {
            result = await _approvals.ResumeAsync(approval.Id, _pipeline, _chatOptions, cancellationToken);
        }
        catch (PendingApprovalException next)
        {
            // The model made another gated call after seeing the results: a new approval.
            await ShowPendingAsync(next.Approval, cancellationToken);
            return;
        }

        ShowToolResults(result.Approval.Messages, result.Response.Messages);
        string answer = AnswerText(result.Response);
        _history.Add(new ChatMessage(ChatRole.Assistant, answer));
        _view.Answer(answer);
        await ShowBalancesToPeopleAsync(cancellationToken);
    }

    private async Task ResumeCommandAsync(string rest, CancellationToken cancellationToken)
    {
        if (rest.Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [string id])
        {
            throw new CommandException("resume needs one approval id: resume <id>");
        }

        PendingApproval approval = await _approvals.GetAsync(ResolveId(id), cancellationToken);
        if (approval.Status == ApprovalStatus.Pending)
        {
            throw new CommandException($"Approval {approval.Id} still waits for decisions: approve or reject it first.");
        }

        await ResumeAsync(approval, cancellationToken);
    }

    private async Task LaterAsync(string rest, CancellationToken cancellationToken)
    {
        string id = rest.Length > 0 ? rest : _lastShown ?? throw new CommandException("Nothing is waiting to be left for later.");
        PendingApproval approval = await _approvals.GetAsync(id, cancellationToken);
        _view.Recorded("LATER", approval.Id);
    }

    /// <summary>Shows a paused batch; a person at the terminal decides on the spot (approve, reject with a reason, answer instead, or later).</summary>
    private async Task ShowPendingAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        _lastShown = approval.Id;
        _view.Pending(approval);
        if (!_view.IsInteractive)
        {
            return;
        }

        foreach (PendingToolCall call in approval.AwaitingApproval.ToList())
        {
            string? choice = await AskAsync(
                $"  Approve {ToolText.Describe(call.ToolName, call.Arguments)}? [a]pprove / [r]eject / [i]nstead, answer it yourself / [l]ater: ",
                ["a", "approve", "r", "reject", "i", "instead", "l", "later"], cancellationToken);
            string? answer = null;
            if (choice is "i" or "instead")
            {
                _view.Prompt("  Your answer (the model receives it in place of the tool's result; the tool does not run): ");
                answer = (await _input.ReadLineAsync(cancellationToken))?.Trim();
            }

            if (choice is null or "l" or "later" || (choice is "i" or "instead" && string.IsNullOrEmpty(answer)))
            {
                _view.Recorded("LATER", approval.Id);
                return;
            }

            if (answer is not null)
            {
                await RespondAsync(approval, call, answer, cancellationToken);
                approval = await _approvals.GetAsync(approval.Id, cancellationToken);
                continue;
            }

            string? reason = null;
            if (choice is "r" or "reject")
            {
                _view.Prompt("  Reason (the model is told): ");
                reason = (await _input.ReadLineAsync(cancellationToken))?.Trim();
                reason = string.IsNullOrEmpty(reason) ? "Rejected at the console." : reason;
            }

            // Decide exactly the call that was shown: its fingerprint must still match what is stored.
            await DecideAsync(approval, [call], reason, cancellationToken);
            approval = await _approvals.GetAsync(approval.Id, cancellationToken);
        }
    }

    /// <summary>Lists pending approvals (a person decides on each at once), then decided or stuck ones.</summary>
    private async Task ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        List<PendingApproval> pending = await ListAsync(ApprovalStatus.Pending, cancellationToken);
        List<PendingApproval> unfinished = [];
        foreach (ApprovalStatus status in new[] { ApprovalStatus.Decided, ApprovalStatus.Executing, ApprovalStatus.InDoubt })
        {
            unfinished.AddRange(await ListAsync(status, cancellationToken));
        }

        if (_view.IsInteractive && pending.Count == 0 && unfinished.Count == 0)
        {
            _view.Note("Nothing waits for a decision.");
        }

        foreach (PendingApproval approval in unfinished)
        {
            _view.Unfinished(approval);
        }

        foreach (PendingApproval approval in pending)
        {
            await ShowPendingAsync(approval, cancellationToken);
        }
    }

    private async Task<List<PendingApproval>> ListAsync(ApprovalStatus status, CancellationToken cancellationToken)
    {
        List<PendingApproval> all = [];
        string? token = null;
        do
        {
            ApprovalPage page = await _approvals.ListAsync(new StateQuery { Status = status, PageSize = 100, ContinuationToken = token }, cancellationToken);
            all.AddRange(page.Approvals);
            token = page.ContinuationToken;
        }
        while (token is not null);

        // The store lists newest first; oldest first reads better.
        all.Reverse();
        return all;
    }

    private async Task<string?> AskAsync(string question, string[] answers, CancellationToken cancellationToken)
    {
        while (true)
        {
            _view.Prompt(question);
            string? answer = (await _input.ReadLineAsync(cancellationToken))?.Trim().ToLowerInvariant();
            if (answer is null || answers.Contains(answer))
            {
                return answer;
            }
        }
    }
}
