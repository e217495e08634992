using System.Text.Json;
using System.Text.Json.Serialization;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>One function call of a held batch: its exact arguments, what was decided, and whether it ran.</summary>
/// <remarks>Read from a <see cref="PendingApproval"/>; changed only through <see cref="ApprovalService"/>.</remarks>
public sealed class PendingToolCall
{
    [JsonConstructor]
    internal PendingToolCall()
    {
    }

    /// <summary>Gets the id the model gave the call.</summary>
    [JsonInclude]
    public string CallId { get; internal set; } = "";

    /// <summary>Gets the name of the tool.</summary>
    [JsonInclude]
    public string ToolName { get; internal set; } = "";

    /// <summary>Gets the arguments exactly as the model sent them, as a JSON object with sorted keys.</summary>
    [JsonInclude]
    public JsonElement Arguments { get; internal set; }

    /// <summary>
    /// Gets the SHA-256 fingerprint (hex) of the approval id, conversation id, call id, tool name and canonical arguments:
    /// what an approver saw. A decision can name it to be sure it decides exactly this call.
    /// </summary>
    [JsonInclude]
    public string Fingerprint { get; internal set; } = "";

    /// <summary>Gets what was decided.</summary>
    [JsonInclude]
    public CallDecisionStatus Decision { get; internal set; }

    /// <summary>Gets the policies' reason: why a person is asked, or why the call was denied.</summary>
    [JsonInclude]
    public string? PolicyReason { get; internal set; }

    /// <summary>Gets the ids or roles that may approve now; empty means any approver. An escalation adds <see cref="EscalationApprovers"/>.</summary>
    [JsonInclude]
    public IReadOnlyList<string> Approvers { get; internal set; } = [];

    /// <summary>Gets how many different people must approve the call before it may run; one rejection refuses it.</summary>
    [JsonIgnore]
    public int RequiredApprovals
    {
        get => RequiredApprovalsData ?? 1;
        internal set => RequiredApprovalsData = value == 1 ? null : value;
    }

    /// <summary>
    /// Gets the sign-offs (approvals by different people) given so far, oldest first, for a call that needs more than one (<see cref="RequiredApprovals"/>);
    /// empty for a call that needs one. The call is <see cref="CallDecisionStatus.Approved"/> when there are enough.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<CallSignOff> SignOffs => SignOffsData ?? [];

    [JsonInclude]
    [JsonPropertyName("requiredApprovals")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal int? RequiredApprovalsData { get; set; }

    [JsonInclude]
    [JsonPropertyName("approvals")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal List<CallSignOff>? SignOffsData { get; set; }

    /// <summary>
    /// Gets when the call is escalated if nobody has decided it by then (<see cref="PolicyVerdict.Escalation"/>), or
    /// <see langword="null"/> when its policies ask for no escalation.
    /// </summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? EscalatesAt { get; internal set; }

    /// <summary>
    /// Gets the escalation group: the ids or roles added to <see cref="Approvers"/> when the call is escalated; empty when there is no escalation.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> EscalationApprovers => EscalationApproversData ?? [];

    /// <summary>Gets when the call was escalated (<see cref="Approvers"/> then took in <see cref="EscalationApprovers"/>), or <see langword="null"/> when it was not.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? EscalatedAt { get; internal set; }

    [JsonInclude]
    [JsonPropertyName("escalationApprovers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal string[]? EscalationApproversData { get; set; }

    /// <summary>Gets whether an escalation is due at <paramref name="now"/>: the call still waits, has one planned, and it has not happened.</summary>
    internal bool IsEscalationDue(DateTimeOffset now) =>
        Decision == CallDecisionStatus.AwaitingApproval && EscalatedAt is null && EscalatesAt is { } at && at <= now;

    /// <summary>Gets the names of the policies that decided the call (<see cref="IApprovalPolicy.Name"/>).</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Policies => PoliciesData ?? [];

    [JsonInclude]
    [JsonPropertyName("policies")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal string[]? PoliciesData { get; set; }

    /// <summary>Gets the versions of the rules in force when the call was judged (<see cref="RecordedVerdict.PolicyVersions"/>); empty when none was named.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> PolicyVersions => PolicyVersionsData ?? [];

    [JsonInclude]
    [JsonPropertyName("policyVersions")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal string[]? PolicyVersionsData { get; set; }

    /// <summary>Gets what the shadow policies (<see cref="ApprovalOptions.ShadowPolicies"/>) said about the call, or <see langword="null"/> when none ran. Never acted on.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RecordedVerdict? ShadowVerdict { get; internal set; }

    /// <summary>Gets the standing grant that allowed the call in place of a person, or <see langword="null"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? GrantId { get; internal set; }

    /// <summary>Gets the id of the person who decided, if a person did.</summary>
    [JsonInclude]
    public string? DecidedBy { get; internal set; }

    /// <summary>Gets when a person decided.</summary>
    [JsonInclude]
    public DateTimeOffset? DecidedAt { get; internal set; }

    /// <summary>Gets the person's reason or comment.</summary>
    [JsonInclude]
    public string? DecisionReason { get; internal set; }

    /// <summary>
    /// Gets a value indicating whether the person who rejected the call asked to be asked again if the model proposes it again
    /// (<see cref="ApprovalDecision.AskAgainIfRepeated"/>); then the retry-loop guard leaves its repeats to a person.
    /// </summary>
    [JsonIgnore]
    public bool AskAgainIfRepeated
    {
        get => AskAgainIfRepeatedData ?? false;
        internal set => AskAgainIfRepeatedData = value ? true : null;
    }

    /// <summary>
    /// Gets how many times the model proposed this rejected call again in the conversation and the retry-loop guard answered it
    /// with the rejection (the repeat that reached <see cref="ApprovalOptions.RejectedRepeatLimit"/> included); 0 for none.
    /// </summary>
    [JsonIgnore]
    public int Repeats
    {
        get => RepeatsData ?? 0;
        internal set => RepeatsData = value == 0 ? null : value;
    }

    /// <summary>
    /// Gets the earlier rejection this call repeated, as <c>approvalId/callId</c>, when the retry-loop guard answered it with that
    /// rejection instead of asking a person (it is then <see cref="CallDecisionStatus.Rejected"/>, decided by the earlier approver,
    /// and never runs); otherwise <see langword="null"/>.
    /// </summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RepeatOf { get; internal set; }

    [JsonInclude]
    [JsonPropertyName("askAgainIfRepeated")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal bool? AskAgainIfRepeatedData { get; set; }

    [JsonInclude]
    [JsonPropertyName("repeats")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal int? RepeatsData { get; set; }

    /// <summary>Gets the arguments a person approved in place of the model's, or <see langword="null"/> when approved as shown.</summary>
    [JsonInclude]
    public JsonElement? ApprovedArguments { get; internal set; }

    /// <summary>Gets the fingerprint of the arguments that may run, once approved (automatically or by a person).</summary>
    [JsonInclude]
    public string? ApprovedFingerprint { get; internal set; }

    /// <summary>Gets whether the call has run.</summary>
    [JsonInclude]
    public CallExecutionStatus Execution { get; internal set; }

    /// <summary>Gets how many times a resume has started this call (more than 1 only for idempotent tools re-run after an interruption).</summary>
    [JsonInclude]
    public int Attempts { get; internal set; }

    /// <summary>Gets what the tool returned, or the message sent to the model in its place.</summary>
    [JsonInclude]
    public JsonElement? Result { get; internal set; }

    /// <summary>
    /// Gets the key that stays the same for every attempt to run this call. Tools read it from
    /// <see cref="ApprovedCall.Current"/> and pass it downstream (for example as a payment idempotency key).
    /// </summary>
    [JsonInclude]
    public string IdempotencyKey { get; internal set; } = "";

    /// <summary>Gets the arguments that run if the call is approved: the edited ones, or else the model's.</summary>
    [JsonIgnore]
    public JsonElement ArgumentsToRun => ApprovedArguments ?? Arguments;

    /// <summary>Reads <see cref="ArgumentsToRun"/> into <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The type to read the arguments into.</typeparam>
    /// <returns>The arguments.</returns>
    public T? GetArguments<T>() => ArgumentsToRun.Deserialize<T>(HumanInLoopJson.ArgumentOptions);
}
