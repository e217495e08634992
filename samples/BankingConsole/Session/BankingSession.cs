using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <summary>
/// The console's loop: reads requests and commands, sends requests to the assistant (tool calling or router), shows what
/// waits for approval, records people's decisions and resumes. The gate itself is the library's: this class only calls
/// <see cref="ApprovalService"/> and the <see cref="IChatClient"/> pipeline.
/// </summary>
/// <remarks>Not thread-safe: one session reads one input.</remarks>
internal sealed class BankingSession
{
    private const string ToolInstructions =
        $"You are the assistant of {Bank.CustomerAccount}, a customer of a small bank. Use the tools to check balances, deposit into " +
        $"{Bank.CustomerAccount}'s account and transfer from it. Amounts are in dollars. Transfers over $100 wait for a person's approval: " +
        "that is decided outside of you, so just make the call. Never claim that money moved unless a tool result says so. Answer in one or two short sentences.";

    private const string RouterInstructions =
        $"You turn requests of {Bank.CustomerAccount}, a customer of a small bank, into a plan of actions: check_balance (account, or null for " +
        $"{Bank.CustomerAccount}'s own), deposit (amount, into {Bank.CustomerAccount}'s account) and transfer (to, amount, from {Bank.CustomerAccount}'s account). " +
        "Amounts are in dollars. Do not judge whether an action needs approval: rules in code decide. " +
        "When the request is unclear or asks for something else, return no actions and a short reply.";

    private readonly Bank _bank;
    private readonly ApprovalService _approvals;
    private readonly IChatClient _model;
    private readonly IChatClient _pipeline;
    private readonly IList<AITool> _tools;
    private readonly ApprovalContext _context;
    private readonly ChatOptions _chatOptions;
    private readonly ConsoleSettings _settings;
    private readonly Approver _approver;
    private readonly IBankView _view;
    private readonly TextReader _input;
    private readonly List<ChatMessage> _history = [];
    private string? _lastShown;

    public BankingSession(
        Bank bank, IReadOnlyList<AIFunction> tools, ApprovalService approvals, IChatClient model, ConsoleSettings settings, IBankView view, TextReader input)
    {
        _bank = bank;
        _approvals = approvals;
        _model = model;
        _settings = settings;
        _view = view;
        _input = input;
        _approver = new Approver(settings.Approver);

        // Method 2: function invocation outside, the approval gate between it and the model, so it sees every call first.
        _pipeline = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();

        // Protected tools run only for calls the gate allowed or a resume runs; the same tools serve the router's plans.
        _tools = ApprovalService.ProtectTools(tools);
        _context = new ApprovalContext { UserId = Bank.CustomerAccount, ConversationId = $"console-{Guid.NewGuid():N}" };
        _chatOptions = new ChatOptions { Instructions = ToolInstructions, Tools = _tools }.WithApprovalContext(_context);
    }

    /// <summary>Lists what is unfinished, then reads commands until the input ends or <c>quit</c>.</summary>
    public async Task RunAsync(string modelName, CancellationToken cancellationToken = default)
    {
        // Approvals whose deadline passed while the program was not running are recorded as expired, not offered.
        await _approvals.ExpireDueAsync(cancellationToken);
        _view.Ready(_settings.Mode, modelName, _settings.DataDirectory, _approver.Id);
        if (_view.IsInteractive)
        {
            _view.Balances(await _bank.GetBalancesAsync(cancellationToken));
        }

        await RunCommandAsync("start", () => ListUnfinishedAsync(cancellationToken));
        while (true)
        {
            _view.Prompt($"{Bank.CustomerAccount}> ");
            string? line = await _input.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return;
            }

            if (!string.IsNullOrWhiteSpace(line) && !await ExecuteAsync(line, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>Runs one line; returns <see langword="false"/> after <c>quit</c>.</summary>
    private async Task<bool> ExecuteAsync(string line, CancellationToken cancellationToken)
    {
        (string command, string rest) = SessionCommands.Split(line) switch
        {
            { } known => known,

            // A person may just type the request; a script says what it means.
            null when _view.IsInteractive => ("say", line.Trim()),
            null => ("unknown", line.Trim()),
        };
        if (command is "quit" or "exit")
        {
            _view.Done("quit");
            return false;
        }

        await RunCommandAsync(command, command switch
        {
            "say" => () => SayAsync(rest, cancellationToken),
            "approve" => () => DecideCommandAsync(rest, approve: true, cancellationToken),
            "reject" => () => DecideCommandAsync(rest, approve: false, cancellationToken),
            "later" => () => LaterAsync(rest, cancellationToken),
            "pending" => () => ListUnfinishedAsync(cancellationToken),
            "resume" => () => ResumeCommandAsync(rest, cancellationToken),
            "balances" => async () => _view.Balances(await _bank.GetBalancesAsync(cancellationToken)),
            "ledger" => async () => _view.Ledger(await _bank.GetLedgerAsync(cancellationToken)),
            "help" => () =>
            {
                _view.Help();
                return Task.CompletedTask;
            },
            _ => () => throw new CommandException(
                $"Unknown command '{rest.Split(' ')[0]}'. Commands: say <text>, approve <id> [callId], reject <id> [callId] <reason>, later, pending, resume <id>, balances, ledger, help, quit."),
        });
        return true;
    }

    /// <summary>Runs a command and ends it with exactly one OK or ERROR, whatever happens inside.</summary>
    private async Task RunCommandAsync(string command, Func<Task> run)
    {
        try
        {
            await run();
            _view.Done(command);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
#pragma warning disable CA1031 // The console reports every failure (a refused decision, a network error) and goes on with the next command.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _view.Error(exception is CommandException or ApprovalException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    private Task SayAsync(string text, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            throw new CommandException("say needs a request, for example: say transfer 500 to bob");
        }

        return _settings.Mode == BankMode.Router ? PlanAsync(text, cancellationToken) : AskModelAsync(text, cancellationToken);
    }

    /// <summary>Method 2: the model calls tools; the gate runs allowed calls at once and pauses on the rest.</summary>
    private async Task AskModelAsync(string text, CancellationToken cancellationToken)
    {
        ChatMessage user = new(ChatRole.User, text);
        List<ChatMessage> request = [.. _history, user];
        ChatResponse response;
        try
        {
            response = await _pipeline.GetResponseAsync(request, _chatOptions, cancellationToken);
            if (response.Messages.Count > 0 && response.Messages[^1].Role == ChatRole.Tool)
            {
                // When the gate denies every call of a response, function invocation ends without asking the model again,
                // so nobody has explained the refusal yet: send the conversation once more so the model can.
                ChatResponse explained = await _pipeline.GetResponseAsync([.. request, .. response.Messages], _chatOptions, cancellationToken);
                foreach (ChatMessage message in explained.Messages)
                {
                    response.Messages.Add(message);
                }
            }
        }
        catch (PendingApprovalException pause)
        {
            // Nothing of the batch ran; the approval (with the whole history) is in the store.
            _history.Add(user);
            _history.Add(new ChatMessage(ChatRole.Assistant, $"(That request waits for a person's decision: approval {pause.Approval.Id}.)"));
            await ShowPendingAsync(pause.Approval, cancellationToken);
            return;
        }

        _history.Add(user);
        _history.AddRange(response.Messages);
        ShowToolResults(request, response.Messages);
        _view.Answer(AnswerText(response));
        await ShowBalancesToPeopleAsync(cancellationToken);
    }

    /// <summary>Method 1: the model returns a typed plan through structured output; the same policies gate each action.</summary>
    private async Task PlanAsync(string text, CancellationToken cancellationToken)
    {
        ChatResponse<BankPlan> planned = await _model.GetResponseAsync<BankPlan>(
            [new ChatMessage(ChatRole.User, text)], new ChatOptions { Instructions = RouterInstructions }, cancellationToken: cancellationToken);
        if (!planned.TryGetResult(out BankPlan? plan) || plan.Actions is null)
        {
            throw new CommandException($"The model's answer is not a plan that can be read, so nothing was done: {planned.Text}");
        }

        if (plan.Actions.Count == 0)
        {
            _view.Answer(plan.Reply ?? "There is nothing to do.");
            return;
        }

        List<PlannedAction> actions = [.. plan.Actions.Select(a => a.ToPlannedAction())];
        PlanResult result = await _approvals.RunPlanAsync(actions, _tools, _context, cancellationToken);
        List<string> sentences = [];
        for (int i = 0; i < actions.Count; i++)
        {
            ActionOutcome outcome = result.Actions[i];
            string what = ToolText.Describe(actions[i].Name, actions[i].Arguments);
            if (outcome.Decision == CallDecisionStatus.AwaitingApproval)
            {
                sentences.Add($"The request to {what} waits for a person's approval ({outcome.Reason}).");
                continue;
            }

            _view.Result(actions[i].Name, actions[i].Arguments.GetRawText(), OutcomeText(outcome));
            sentences.Add(OutcomeSentence(outcome, what));
        }

        _view.Answer(string.Join(" ", sentences));
        if (result.PendingApproval is { } pending)
        {
            await ShowPendingAsync(pending, cancellationToken);
        }
        else
        {
            await ShowBalancesToPeopleAsync(cancellationToken);
        }
    }

    private async Task DecideCommandAsync(string rest, bool approve, CancellationToken cancellationToken)
    {
        string[] words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new CommandException(approve ? "approve needs an approval id: approve <id> [callId]" : "reject needs an approval id and a reason: reject <id> [callId] <reason>");
        }

        PendingApproval approval = await _approvals.GetAsync(words[0], cancellationToken);
        List<PendingToolCall> calls;
        string? reason = null;
        if (approve)
        {
            if (words.Length > 2)
            {
                throw new CommandException("approve takes an approval id and, optionally, one call id: approve <id> [callId]");
            }

            calls = words.Length == 2
                ? [approval.FindCall(words[1]) ?? throw new CommandException($"Approval {approval.Id} has no call '{words[1]}'.")]
                : [.. approval.AwaitingApproval];
        }
        else
        {
            // reject <id> <callId> <reason> when the second word names a call of the approval, else reject <id> <reason>.
            PendingToolCall? one = words.Length > 2 ? approval.FindCall(words[1]) : null;
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

        await DecideAsync(approval, calls, reason, cancellationToken);
    }

    /// <summary>Records one decision per call (bound to the fingerprint that was shown), then resumes once nothing waits.</summary>
    private async Task DecideAsync(PendingApproval approval, IEnumerable<PendingToolCall> calls, string? rejection, CancellationToken cancellationToken)
    {
        PendingApproval latest = approval;
        foreach (PendingToolCall call in calls)
        {
            ApprovalDecision decision = rejection is null ? ApprovalDecision.Approve(_approver) : ApprovalDecision.Reject(_approver, rejection);
            latest = await _approvals.DecideAsync(approval.Id, call.CallId, decision with { ExpectedFingerprint = call.Fingerprint }, cancellationToken);
            _view.Recorded(rejection is null ? "APPROVED" : "REJECTED", approval.Id, call.CallId, rejection);
        }

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

        PendingApproval approval = await _approvals.GetAsync(id, cancellationToken);
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

    /// <summary>Shows a paused batch; a person at the terminal decides on the spot (approve, reject with a reason, or later).</summary>
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
            string? choice = await AskAsync($"  Approve {ToolText.Describe(call.ToolName, call.Arguments)}? [a]pprove / [r]eject / [l]ater: ", ["a", "approve", "r", "reject", "l", "later"], cancellationToken);
            if (choice is null or "l" or "later")
            {
                _view.Recorded("LATER", approval.Id);
                return;
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

    private async Task ShowBalancesToPeopleAsync(CancellationToken cancellationToken)
    {
        if (_view.IsInteractive)
        {
            _view.Balances(await _bank.GetBalancesAsync(cancellationToken));
        }
    }

    /// <summary>Shows each tool result in <paramref name="fresh"/> with the call it answers.</summary>
    private void ShowToolResults(IEnumerable<ChatMessage> known, IList<ChatMessage> fresh)
    {
        Dictionary<string, FunctionCallContent> calls = [];
        foreach (FunctionCallContent call in known.Concat(fresh).SelectMany(m => m.Contents.OfType<FunctionCallContent>()))
        {
            calls[call.CallId] = call;
        }

        foreach (FunctionResultContent result in fresh.SelectMany(m => m.Contents.OfType<FunctionResultContent>()))
        {
            FunctionCallContent? call = calls.GetValueOrDefault(result.CallId);
            _view.Result(call?.Name ?? "?", ToolText.Arguments(call?.Arguments), ToolText.Of(result.Result));
        }
    }

    private static string AnswerText(ChatResponse response) =>
        response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant && !string.IsNullOrWhiteSpace(m.Text))?.Text.Trim() ?? "(no answer)";

    private static string OutcomeText(ActionOutcome outcome) => outcome switch
    {
        { Execution: CallExecutionStatus.Succeeded } => ToolText.Of(outcome.Result),
        { Decision: CallDecisionStatus.Denied } => $"Refused by the bank's rules: {outcome.Reason}",
        { Decision: CallDecisionStatus.Rejected } => $"Rejected by the approver: {outcome.Reason}",
        { Decision: CallDecisionStatus.Expired } => "Nobody decided before the approval expired; not run.",
        { Execution: CallExecutionStatus.Failed } => $"Failed: {outcome.Reason}",
        _ => $"{outcome.Decision}, {outcome.Execution}",
    };

    private static string OutcomeSentence(ActionOutcome outcome, string what) => outcome switch
    {
        { Execution: CallExecutionStatus.Succeeded } => ToolText.Of(outcome.Result),
        { Decision: CallDecisionStatus.Denied } => $"I could not {what}: {outcome.Reason}",
        { Decision: CallDecisionStatus.Rejected } => $"I did not {what}: the approver rejected it ({outcome.Reason}).",
        { Decision: CallDecisionStatus.Expired } => $"Nobody approved the request to {what} in time, so it was not done.",
        _ => $"Something went wrong when I tried to {what}.",
    };
}
