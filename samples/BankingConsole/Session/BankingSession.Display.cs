using HumanInLoop;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <content>Tool results, plan outcomes and answers as text.</content>
internal sealed partial class BankingSession
{
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
        { Decision: CallDecisionStatus.Rejected, Result: { } answer } when ToolText.Of(answer).Contains("already rejected this same call", StringComparison.Ordinal) =>
            ToolText.Of(answer), // a repeat the retry-loop guard answered
        { Decision: CallDecisionStatus.Rejected } => $"Rejected by the approver: {outcome.Reason}",
        { Decision: CallDecisionStatus.Responded } => $"Answered by the approver in place of the tool: {ToolText.Of(outcome.Result)}",
        { Decision: CallDecisionStatus.Expired } => "Nobody decided before the approval expired; not run.",
        { Execution: CallExecutionStatus.Failed } => $"Failed: {outcome.Reason}",
        _ => $"{outcome.Decision}, {outcome.Execution}",
    };

    private static string OutcomeSentence(ActionOutcome outcome, string what) => outcome switch
    {
        { Execution: CallExecutionStatus.Succeeded } => ToolText.Of(outcome.Result),
        { Decision: CallDecisionStatus.Denied } => $"I could not {what}: {outcome.Reason}",
        { Decision: CallDecisionStatus.Rejected } => $"I did not {what}: the approver rejected it ({outcome.Reason}).",
        { Decision: CallDecisionStatus.Responded } => ToolText.Of(outcome.Result),
        { Decision: CallDecisionStatus.Expired } => $"Nobody approved the request to {what} in time, so it was not done.",
        _ => $"Something went wrong when I tried to {what}.",
    };
}
