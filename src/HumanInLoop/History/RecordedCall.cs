using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop;

/// <summary>
/// One call the gate judged, read back from the store: the exact arguments and caller, what the policies (and any shadow
/// policies) said, and what became of it. The unit of <see cref="ApprovalHistory"/>'s reports, replays and exports.
/// </summary>
/// <remarks>
/// Calls a person saw come from their approval's record (<see cref="ApprovalId"/> is set); calls decided at once (allowed, denied,
/// or allowed by a grant) come from the store's call records (<see cref="ICallRecordStore"/>). Instances are immutable.
/// </remarks>
public sealed class RecordedCall
{
    // Shared (a record is immutable): every record the gate makes sets its own verdict, so a fresh default would be thrown away.
    private static readonly RecordedVerdict s_noVerdict = new(PolicyVerdictKind.NotApplicable, null);

    [JsonConstructor]
    internal RecordedCall()
    {
    }

    /// <summary>Gets an id unique among recorded calls: the call record's id, or <c>approvalId/callId</c> for a call a person saw.</summary>
    [JsonInclude]
    public string Id { get; internal set; } = "";

    /// <summary>Gets the approval that held the call, or <see langword="null"/> when it was never held.</summary>
    [JsonInclude]
    public string? ApprovalId { get; internal set; }

    /// <summary>Gets the model's id for the call.</summary>
    [JsonInclude]
    public string CallId { get; internal set; } = "";

    /// <summary>Gets the tool called.</summary>
    [JsonInclude]
    public string ToolName { get; internal set; } = "";

    /// <summary>Gets the arguments exactly as the model proposed them.</summary>
    [JsonInclude]
    public JsonElement Arguments { get; internal set; }

    /// <summary>Gets who called, in which tenant and conversation.</summary>
    [JsonInclude]
    public CallerContext Context { get; internal set; } = CallerContext.Empty;

    /// <summary>Gets when the gate judged the call (UTC).</summary>
    [JsonInclude]
    public DateTimeOffset SeenAt { get; internal set; }

    /// <summary>Gets what the active policies said.</summary>
    [JsonInclude]
    public RecordedVerdict Verdict { get; internal set; } = s_noVerdict;

    /// <summary>Gets what the shadow policies (<see cref="ApprovalOptions.ShadowPolicies"/>) said, or <see langword="null"/> when none ran. Never acted on.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RecordedVerdict? ShadowVerdict { get; internal set; }

    /// <summary>Gets what became of the call.</summary>
    [JsonInclude]
    public CallOutcome Outcome { get; internal set; }

    /// <summary>Gets who decided: the approver, or for <see cref="CallOutcome.AllowedByGrant"/> the person who made the grant.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DecidedBy { get; internal set; }

    /// <summary>Gets when the outcome was decided (UTC); for calls decided at once, <see cref="SeenAt"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? DecidedAt { get; internal set; }

    /// <summary>Gets the reason the person gave (a rejection's reason, an approval's comment), or <see langword="null"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DecisionReason { get; internal set; }

    /// <summary>Gets the arguments a person approved instead, for <see cref="CallOutcome.Edited"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? EditedArguments { get; internal set; }

    /// <summary>Gets the answer a person gave in place of the tool, for <see cref="CallOutcome.Responded"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Response { get; internal set; }

    /// <summary>Gets the grant that allowed the call, for <see cref="CallOutcome.AllowedByGrant"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? GrantId { get; internal set; }

    /// <summary>Gets the earlier rejection the call repeated, as <c>approvalId/callId</c>, for <see cref="CallOutcome.RejectedAsRepeat"/> and <see cref="CallOutcome.RepeatLimitReached"/>.</summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RepeatOf { get; internal set; }

    /// <summary>Gets the time from <see cref="SeenAt"/> to a person's decision, or <see langword="null"/> when no person decided.</summary>
    [JsonIgnore]
    public TimeSpan? TimeToDecision =>
        Outcome is CallOutcome.Approved or CallOutcome.Edited or CallOutcome.Rejected or CallOutcome.Responded && DecidedAt is { } at ? at - SeenAt : null;

    /// <summary>Gets whether the call was decided without asking a person: allowed, denied, allowed by a grant, or answered with an earlier rejection.</summary>
    [JsonIgnore]
    public bool IsAutomated => Outcome is CallOutcome.Allowed or CallOutcome.Denied or CallOutcome.AllowedByGrant or CallOutcome.RejectedAsRepeat or CallOutcome.RepeatLimitReached;

    /// <summary>Gets the conversation up to the call, for a call a person saw; loaded on first use. Empty for calls that were never held (their conversation is not stored).</summary>
    [JsonIgnore]
    public IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> Messages => MessageLoader?.Invoke() ?? [];

    [JsonIgnore]
    internal Func<IReadOnlyList<Microsoft.Extensions.AI.ChatMessage>>? MessageLoader { get; set; }
}
