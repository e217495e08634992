using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>
/// The same gate for typed action plans (the router style): every action is judged in code by the policies; allowed actions
/// run at once, denied ones never, and the ones that need a person are held together as one approval and resumed like any other.
/// </summary>
internal sealed class PlanRunner(CallJudge judge, CallRecorder? recorder, ApprovalHolder holder, ApprovalResumer resumer)
{
    /// <summary>See <see cref="ApprovalService.RunPlanAsync"/>.</summary>
    public async Task<PlanResult> RunAsync(
        IEnumerable<PlannedAction> actions, IEnumerable<AITool> tools, CallerContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(tools);
        context ??= CallerContext.Empty;
        List<PlannedAction> plan = [.. actions];
        Dictionary<string, AIFunction> functions = ToolLookup.ByName(tools);
        HashSet<string> ids = new(StringComparer.Ordinal);
        List<PolicyEvaluationContext> evaluations = new(plan.Count);
        for (int i = 0; i < plan.Count; i++)
        {
            if (plan[i].Id is { } given && (string.IsNullOrWhiteSpace(given) || !Utf16Text.IsWellFormed(given)))
            {
                // Stored as a call id it could never be decided (or even read back): refused before anything runs.
                throw new ArgumentException($"The plan's action {i + 1} has an id that is empty, blank or not valid text; give it a real id or none.", nameof(actions));
            }

            string id = plan[i].Id ?? $"action-{i + 1}";
            if (!ids.Add(id))
            {
                throw new ArgumentException($"The plan has two actions with id '{id}'.", nameof(actions));
            }

            if (!functions.TryGetValue(plan[i].Name, out AIFunction? function))
            {
                throw new InvalidOperationException($"The plan's action '{id}' names the tool '{plan[i].Name}', which was not supplied; nothing ran.");
            }

            PolicyEvaluationContext evaluation = new(
                plan[i].Name, id, null, plan[i].Arguments, context, [], GateProtectedFunction.IsMarkedApprovalRequired(function));
            evaluations.Add(evaluation);
        }

        // Judged as one batch (grants and shadow policies included); unlike the gate, a plan holds only the actions that need a
        // person and runs the others now, so the held ones are stored and the others recorded as decided at once.
        BatchJudgement judgement = await judge.JudgeAsync(evaluations, cancellationToken);
        await RetryGuard.StopIfLimitReachedAsync(evaluations, judgement, recorder, cancellationToken);
        PolicyVerdict[] verdicts = judgement.Verdicts;
        int[] held = [.. Enumerable.Range(0, plan.Count).Where(i => verdicts[i].Kind == PolicyVerdictKind.RequireApproval)];
        int[] decided = [.. Enumerable.Range(0, plan.Count).Where(i => verdicts[i].Kind != PolicyVerdictKind.RequireApproval)];
        PendingApproval? pending = held.Length == 0 ? null : await holder.HoldAsync(
            [], [.. held.Select(i => evaluations[i])], judgement.Select(held), context, ApprovalOrigin.ActionPlan, cancellationToken);
        if (recorder is not null && decided.Length > 0)
        {
            await recorder.RecordAsync([.. decided.Select(i => evaluations[i])], judgement.Select(decided), cancellationToken);
        }

        List<ActionOutcome> outcomes = new(plan.Count);
        for (int i = 0; i < plan.Count; i++)
        {
            PolicyEvaluationContext action = evaluations[i];
            PolicyVerdict verdict = verdicts[i];
            switch (verdict.Kind)
            {
                case PolicyVerdictKind.RequireApproval:
                    outcomes.Add(new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.AwaitingApproval, CallExecutionStatus.NotStarted, verdict.Reason, null));
                    break;
                case PolicyVerdictKind.Deny when judgement.RepeatOf(i) is { } repeat:
                    // Repeats a person's rejection in this conversation (the retry-loop guard): rejected as before, not run, nobody asked.
                    outcomes.Add(new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.Rejected, CallExecutionStatus.NotRun, repeat.Reason, ModelResults.ToJson(repeat.Answer)));
                    break;
                case PolicyVerdictKind.Deny:
                    outcomes.Add(new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.Denied, CallExecutionStatus.NotRun, verdict.Reason, null));
                    break;
                default:
                    outcomes.Add(await RunAllowedActionAsync(functions[action.ToolName], action, cancellationToken));
                    break;
            }
        }

        return new PlanResult(outcomes, pending);
    }

    /// <summary>See <see cref="ApprovalService.ResumePlanAsync"/>.</summary>
    public async Task<PlanResult> ResumeAsync(string approvalId, IEnumerable<AITool> tools, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tools);
        using System.Diagnostics.Activity? activity = ApprovalResumer.StartActivity(approvalId);
        ChatOptions options = new() { Tools = [.. tools] };
        ResumeRun run = await resumer.StartAsync(approvalId, options, ApprovalOrigin.ActionPlan, cancellationToken);
        await resumer.CompleteAsync(run, null);
        List<ActionOutcome> outcomes = [.. run.Approval.Calls.Select(c => new ActionOutcome(
            c.CallId, c.ToolName, c.Decision, c.Execution, c.DecisionReason ?? c.PolicyReason, c.Result ?? ModelResults.ToJson(ModelResults.For(c))))];
        return new PlanResult(outcomes, null);
    }

    private static async Task<ActionOutcome> RunAllowedActionAsync(AIFunction function, PolicyEvaluationContext action, CancellationToken cancellationToken)
    {
        // Allowed actions run like allowed tool calls: at once, outside any approval record, through the tool as supplied.
        try
        {
            object? result = await GateProtectedFunction.InvokeAllowedActionAsync(function, new AIFunctionArguments(ToolArguments.ToDictionary(action.Arguments)), cancellationToken);
            return new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.AutoAllowed, CallExecutionStatus.Succeeded, null,
                JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.AutoAllowed, CallExecutionStatus.Failed,
                $"{exception.GetType().Name}: {exception.Message}", ModelResults.ToJson("Error: Function failed."));
        }
    }
}
