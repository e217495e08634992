using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>
/// A batch of tool calls held for a person's decision, with everything needed to continue the conversation later,
/// in another process: the full history, every call of the batch with its exact arguments and decision, and the audit trail.
/// </summary>
/// <remarks>
/// Serialized with <see cref="PendingApprovalSerializer"/> in a versioned JSON format (see docs/serialization.md).
/// Instances handed out are snapshots: change the approval through <see cref="ApprovalService"/>, which reads and
/// writes the <see cref="IStateStore"/>, the only authority. Not thread-safe.
/// </remarks>
public sealed class PendingApproval
{
    /// <summary>The format version this library writes. Version 2 (issue 15) adds, per call, the policies that decided it, the shadow
    /// policies' verdict and the standing grant that allowed it, and the <see cref="ApprovalAuditEvent.GrantIssued"/> event. Version 3
    /// (issue 16) adds answers in place of the tool (<see cref="CallDecisionStatus.Responded"/>), escalation (per call:
    /// <c>escalatesAt</c>, <c>escalationApprovers</c>, <c>escalatedAt</c>) and the retry-loop guard (<c>askAgainIfRepeated</c>,
    /// <c>repeats</c>, <c>repeatOf</c>), with their audit events. Version 4 (issue 22) adds the versions of the rules in force
    /// (<c>policyVersions</c>) per call and on the audit entry that records the policies' verdict, where the chain's hash covers
    /// them (a reader of version 3 could not verify such an entry). Version 1, 2 and 3 records still load.</summary>
    public const int CurrentFormatVersion = 4;

    /// <summary>The JSON name of the audit trail in a stored record (the archive takes it out by this name).</summary>
    internal const string AuditTrailProperty = "auditTrail";

    [JsonConstructor]
    internal PendingApproval()
    {
    }

    /// <summary>Gets the version of the format the approval was saved in.</summary>
    [JsonInclude]
    [JsonPropertyOrder(-2)]
    public int FormatVersion { get; internal set; }

    /// <summary>Gets the id of the approval (unguessable, URL-safe).</summary>
    [JsonInclude]
    [JsonPropertyOrder(-1)]
    public string Id { get; internal set; } = "";

    /// <summary>Gets where the held calls came from: a model response (tool calling) or a typed action plan (router).</summary>
    [JsonInclude]
    public ApprovalOrigin Origin { get; internal set; }

    /// <summary>Gets where the approval is in its life.</summary>
    [JsonInclude]
    public ApprovalStatus Status { get; internal set; }

    /// <summary>Gets when the batch was held (UTC).</summary>
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; internal set; }

    /// <summary>Gets the deadline for decisions (UTC); undecided calls expire then.</summary>
    [JsonInclude]
    public DateTimeOffset ExpiresAt { get; internal set; }

    /// <summary>Gets when the approval last changed (UTC).</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; internal set; }

    /// <summary>Gets who and what the conversation is about.</summary>
    [JsonInclude]
    public CallerContext Context { get; internal set; } = CallerContext.Empty;

    /// <summary>Gets the full message history, ending with the assistant message that holds the calls.</summary>
    /// <remarks>
    /// An approval read through <see cref="ApprovalService"/> builds its messages from the stored JSON on first use, so that
    /// deciding or listing approvals does not pay for long histories; <see cref="ApprovalService.ResumeAsync"/> reads them
    /// before it claims anything.
    /// </remarks>
    /// <exception cref="ApprovalStateFormatException">The stored history is well-formed JSON but not a valid list of messages.</exception>
    /// <exception cref="InvalidOperationException">
    /// The approval was read without its conversation, by a step that does not need it (what <see cref="ApprovalService.DecideAsync"/>
    /// and <see cref="ApprovalService.CancelAsync"/> return, over a store that keeps conversations apart): read it with
    /// <see cref="ApprovalService.GetAsync"/>. Never an empty list in its place.
    /// </exception>
    [JsonIgnore]
    public IReadOnlyList<ChatMessage> Messages
    {
        get
        {
            try
            {
                return StoredMessages?.Messages!;
            }
            catch (ApprovalStateFormatException exception) when (exception.ApprovalId is null)
            {
                throw new ApprovalStateFormatException(exception.Message, Id, exception.InnerException);
            }
        }

        internal set => StoredMessages = new StoredMessages(value);
    }

    /// <summary>
    /// Reads the stored conversation now rather than on first use of <see cref="Messages"/>: a history that is not a valid list of
    /// messages fails here, typed, before anything depends on it (a resume reads it before it claims anything).
    /// </summary>
    /// <returns>The messages.</returns>
    /// <exception cref="ApprovalStateFormatException">The stored history is not a valid list of messages.</exception>
    internal IReadOnlyList<ChatMessage> LoadHistory() => Messages;

    /// <summary>The history as serialized: it never changes after the hold, so its JSON is written once and reused by every save.</summary>
    [JsonInclude]
    [JsonPropertyName("messages")]
    internal StoredMessages? StoredMessages { get; set; }

    /// <summary>Gets or sets whether the store keeps the conversation apart from the record (<see cref="StateEntry.History"/>).</summary>
    [JsonIgnore]
    internal bool HistoryApart { get; set; }

    /// <summary>Gets whether the approval was read without its conversation (for a step that does not need it): its messages throw.</summary>
    [JsonIgnore]
    internal bool HistoryUnread => StoredMessages is { IsUnread: true };

    /// <summary>
    /// The length and, with an integrity key, the digest of a conversation kept apart, written in the record (only there: never by
    /// <see cref="PendingApprovalSerializer.Serialize"/>), so that it can be read and verified without its conversation.
    /// </summary>
    [JsonInclude]
    [JsonPropertyName("historyApart")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    internal Internal.HistorySummary? HistorySummary { get; set; }

    /// <summary>Gets or sets how long the approval was when last read or written, in characters, its conversation included.</summary>
    [JsonIgnore]
    internal long StoredLength { get; set; }

    /// <summary>Gets every function call of the held batch, in the model's order.</summary>
    [JsonInclude]
    public IReadOnlyList<PendingToolCall> Calls { get; internal set; } = [];

    /// <summary>
    /// Gets whether a policy marked the batch all or nothing (<see cref="PolicyVerdict.AllOrNothingBatch"/>): when a call is found
    /// in doubt, the calls that have not run are held until a person reconciles it (<see cref="ApprovalAuditEvent.CallHeld"/>).
    /// </summary>
    [JsonInclude]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool AllOrNothingBatch { get; internal set; }

    /// <summary>Gets the id of the approval the conversation paused on next, after this one was resumed.</summary>
    [JsonInclude]
    public string? NextApprovalId { get; internal set; }

    /// <summary>Gets the id of the resume holding the approval while <see cref="Status"/> is <see cref="ApprovalStatus.Executing"/>.</summary>
    [JsonInclude]
    public string? ClaimedBy { get; internal set; }

    /// <summary>Gets when the claim of <see cref="ClaimedBy"/> lapses and another resume may recover the approval.</summary>
    [JsonInclude]
    public DateTimeOffset? ClaimExpiresAt { get; internal set; }

    /// <summary>Gets every recorded event, automatic and human, oldest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<ApprovalAuditEntry> AuditTrail => AuditEntries;

    /// <summary>Gets the store's version of this snapshot, used for compare-and-swap; not part of the JSON.</summary>
    [JsonIgnore]
    public long Version { get; internal set; }

    /// <summary>Gets the calls that still wait for a person.</summary>
    [JsonIgnore]
    public IEnumerable<PendingToolCall> AwaitingApproval => Calls.Where(c => c.Decision == CallDecisionStatus.AwaitingApproval);

    [JsonInclude]
    [JsonPropertyName(AuditTrailProperty)]
    internal List<ApprovalAuditEntry> AuditEntries { get; set; } = [];

    /// <summary>
    /// The next time the approval is due for a change nobody asks for: the earliest escalation still to happen while it is pending,
    /// else its deadline. Stored as the index row's <see cref="StateEntry.ExpiresAt"/>, so that the sweep finds escalations as it finds expiries.
    /// </summary>
    internal DateTimeOffset NextDueAt()
    {
        DateTimeOffset next = ExpiresAt;
        if (Status == ApprovalStatus.Pending)
        {
            foreach (PendingToolCall call in Calls)
            {
                if (call is { Decision: CallDecisionStatus.AwaitingApproval, EscalatedAt: null, EscalatesAt: { } at } && at < next)
                {
                    next = at;
                }
            }
        }

        return next;
    }

    /// <summary>Finds a call of the batch by its id.</summary>
    /// <param name="callId">The id the model gave the call.</param>
    /// <returns>The call, or <see langword="null"/> when the batch has no such call.</returns>
    public PendingToolCall? FindCall(string callId)
    {
        ArgumentNullException.ThrowIfNull(callId);
        foreach (PendingToolCall call in Calls)
        {
            if (call.CallId == callId)
            {
                return call;
            }
        }

        return null;
    }
}
