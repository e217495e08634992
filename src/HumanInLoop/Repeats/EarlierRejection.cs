namespace HumanInLoop.Internal;

/// <summary>A person's rejection that a call repeated, as the retry-loop guard found and counted it.</summary>
/// <param name="ApprovalId">The approval that holds the rejection.</param>
/// <param name="CallId">The rejected call.</param>
/// <param name="RejectedBy">Who rejected it.</param>
/// <param name="Reason">Why.</param>
/// <param name="Repeat">Which repeat this one is, from 1.</param>
/// <param name="LimitReached">Whether this repeat reached <see cref="ApprovalOptions.RejectedRepeatLimit"/> and stops the conversation.</param>
internal sealed record EarlierRejection(string ApprovalId, string CallId, string? RejectedBy, string? Reason, int Repeat, bool LimitReached)
{
    /// <summary>Gets the rejection as <c>approvalId/callId</c> (<see cref="PendingToolCall.RepeatOf"/>, <see cref="RecordedCall.RepeatOf"/>).</summary>
    public string Reference => $"{ApprovalId}/{CallId}";

    /// <summary>Gets what the model is told in place of the call's result.</summary>
    public string Answer => For(RejectedBy, Reason);

    /// <summary>What the model is told for a call that repeats a rejection.</summary>
    public static string For(string? rejectedBy, string? reason) =>
        $"A person ('{rejectedBy}') already rejected this same call earlier in this conversation, so it was not run and was not put to a person again. Do not retry it. Reason: {reason}";
}
