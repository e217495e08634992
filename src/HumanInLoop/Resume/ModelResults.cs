using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>What the model is told for each call of a batch when the conversation continues: its result, or why it did not run.</summary>
internal static class ModelResults
{
    /// <summary>The function result sent to the model for <paramref name="call"/>.</summary>
    public static object? For(PendingToolCall call) => call.Decision switch
    {
        CallDecisionStatus.Denied =>
            $"This tool call was denied by policy and was not run. Do not retry it. Reason: {call.PolicyReason}",
        CallDecisionStatus.Rejected when call.RepeatOf is not null =>
            EarlierRejection.For(call.DecidedBy, call.DecisionReason),
        CallDecisionStatus.Rejected =>
            $"This tool call was rejected by the approver and was not run. Do not retry it. Reason: {call.DecisionReason}",
        CallDecisionStatus.Expired =>
            "Nobody decided on this tool call before its approval expired, so it was not run. Do not retry it without asking the user.",
        CallDecisionStatus.Responded =>
            AsModelSees(call.Result), // a person's answer in place of the tool, passed on as the tool's would be
        _ when call.Execution == CallExecutionStatus.NotRun =>
            AsModelSees(call.Result),
        _ when call.ApprovedArguments is { } edited =>
            $"The approver changed the arguments before running; the call ran with {edited.GetRawText()}. Result: {(AsModelSees(call.Result) is string text ? text : call.Result?.GetRawText())}",
        _ => AsModelSees(call.Result),
    };

    /// <summary>A value as the JSON a call's result is recorded as.</summary>
    public static JsonElement? ToJson(object? value) => value is null ? null : JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions);

    /// <summary>
    /// A stored result as function invocation would have passed it on had the call run at once: a string stays a string
    /// (stored as a JSON string, it would otherwise reach the model quoted), anything else goes as its JSON.
    /// </summary>
    private static object? AsModelSees(JsonElement? result) =>
        result is { ValueKind: JsonValueKind.String } text ? text.GetString() : result;
}
