using System.Text.Json;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <content>The same gate for typed action plans (the router style).</content>
public sealed partial class ApprovalService
{
    /// <summary>
    /// Runs a typed plan under the same policies and store as the approval gate: every action is evaluated in code; allowed
    /// actions run at once (in order), denied ones never run, and the ones that need a person are saved together as one
    /// <see cref="PendingApproval"/> (origin <see cref="ApprovalOrigin.ActionPlan"/>) to decide and resume with <see cref="ResumePlanAsync"/>.
    /// </summary>
    /// <param name="actions">The plan.</param>
    /// <param name="tools">The tools that carry the actions out, by name.</param>
    /// <param name="context">Who and what the plan is about.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Each action's outcome, and the approval holding the rest, if any.</returns>
    /// <exception cref="InvalidOperationException">An action names a tool that is not supplied; nothing ran.</exception>
    public async Task<PlanResult> RunPlanAsync(
        IEnumerable<PlannedAction> actions, IEnumerable<AITool> tools, CallerContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(tools);
        context ??= CallerContext.Empty;
        List<PlannedAction> plan = [.. actions];
        Dictionary<string, AIFunction> functions = ToolsByName(tools);
        HashSet<string> ids = new(StringComparer.Ordinal);
        List<PolicyEvaluationContext> evaluations = new(plan.Count);
        List<PolicyVerdict> decisions = new(plan.Count);
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

            if (!functions.ContainsKey(plan[i].Name))
            {
                throw new InvalidOperationException($"The plan's action '{id}' names the tool '{plan[i].Name}', which was not supplied; nothing ran.");
            }

            PolicyEvaluationContext evaluation = new(plan[i].Name, id, null, plan[i].Arguments, context, []);
            evaluations.Add(evaluation);
            decisions.Add(await EvaluateAsync(evaluation, cancellationToken));
        }

        List<int> held = [.. Enumerable.Range(0, plan.Count).Where(i => decisions[i].Kind == PolicyVerdictKind.RequireApproval)];
        PendingApproval? pending = held.Count == 0 ? null : await HoldAsync(
            [], [.. held.Select(i => evaluations[i])], [.. held.Select(i => decisions[i])], context, ApprovalOrigin.ActionPlan, cancellationToken);

        List<ActionOutcome> outcomes = new(plan.Count);
        for (int i = 0; i < plan.Count; i++)
        {
            PolicyEvaluationContext action = evaluations[i];
            PolicyVerdict decision = decisions[i];
            switch (decision.Kind)
            {
                case PolicyVerdictKind.RequireApproval:
                    outcomes.Add(new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.AwaitingApproval, CallExecutionStatus.NotStarted, decision.Reason, null));
                    break;
                case PolicyVerdictKind.Deny:
                    outcomes.Add(new ActionOutcome(action.CallId, action.ToolName, CallDecisionStatus.Denied, CallExecutionStatus.NotRun, decision.Reason, null));
                    break;
                default:
                    outcomes.Add(await RunAllowedActionAsync(functions[action.ToolName], action, cancellationToken));
                    break;
            }
        }

        return new PlanResult(outcomes, pending);
    }

    /// <summary>
    /// Continues a decided plan approval: claims it atomically and runs the approved actions at most once, exactly like
    /// <see cref="ResumeAsync"/> but without a model to call afterwards.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="tools">The tools that carry the actions out, by name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The outcome of every held action.</returns>
    public async Task<PlanResult> ResumePlanAsync(string approvalId, IEnumerable<AITool> tools, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tools);
        using System.Diagnostics.Activity? activity = StartResumeActivity(approvalId);
        ChatOptions options = new() { Tools = [.. tools] };
        Execution run = await ExecuteAsync(approvalId, options, ApprovalOrigin.ActionPlan, cancellationToken);
        await CompleteAsync(run, null);
        List<ActionOutcome> outcomes = [.. run.Approval.Calls.Select(c => new ActionOutcome(
            c.CallId, c.ToolName, c.Decision, c.Execution, c.DecisionReason ?? c.PolicyReason, c.Result ?? ToJson(ResultForModel(c))))];
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
                $"{exception.GetType().Name}: {exception.Message}", ToJson("Error: Function failed."));
        }
    }

    private static JsonElement? ToJson(object? value) => value is null ? null : JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions);
}
