using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <content>Requests: tool calling (method 2) and router plans (method 1).</content>
internal sealed partial class BankingSession
{
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
        }
        catch (PendingApprovalException pause)
        {
            // Nothing of the batch ran; the approval (with the whole history) is in the store.
            _history.Add(user);
            _history.Add(new ChatMessage(ChatRole.Assistant, $"(That request waits for a person's decision: approval {pause.Approval.Id}.)"));
            await ShowPendingAsync(pause.Approval, cancellationToken);
            return;
        }
        catch (RejectedCallRepeatedException stop)
        {
            // The retry-loop guard: the model kept proposing a call a person rejected; nothing ran, nothing was held.
            _history.Add(user);
            _history.Add(new ChatMessage(ChatRole.Assistant, $"(Stopped: I kept asking to {stop.ToolName} after '{stop.RejectedBy}' rejected it.)"));
            _view.Recorded("STOPPED", stop.RejectedApprovalId, stop.RejectedCallId, stop.Reason);
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
        PlanResult result;
        try
        {
            result = await _approvals.RunPlanAsync(actions, _tools, _context, cancellationToken);
        }
        catch (RejectedCallRepeatedException stop)
        {
            _view.Recorded("STOPPED", stop.RejectedApprovalId, stop.RejectedCallId, stop.Reason);
            return;
        }

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
}
