using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>A person's decision on one pending call: approve, reject with a reason, or approve with edited arguments.</summary>
/// <remarks>
/// Build it from an authenticated identity in the host. Nothing the model writes becomes a decision.
/// Instances are immutable.
/// </remarks>
public sealed record ApprovalDecision
{
    private ApprovalDecision(bool approved, Approver approver, string? reason, JsonElement? editedArguments)
    {
        ArgumentNullException.ThrowIfNull(approver);
        Approved = approved;
        Approver = approver;
        Reason = reason;
        EditedArguments = editedArguments;
    }

    /// <summary>Gets a value indicating whether the call may run.</summary>
    public bool Approved { get; }

    /// <summary>Gets who decided.</summary>
    public Approver Approver { get; }

    /// <summary>Gets the reason for a rejection, or a comment on an approval.</summary>
    public string? Reason { get; }

    /// <summary>Gets the arguments to run instead of the model's, or <see langword="null"/>.</summary>
    public JsonElement? EditedArguments { get; }

    /// <summary>
    /// Gets the <see cref="PendingToolCall.Fingerprint"/> the approver saw. When set, the decision is refused unless
    /// the stored call still has it, so a person never decides a call other than the one shown.
    /// </summary>
    public string? ExpectedFingerprint { get; init; }

    /// <summary>
    /// Gets the standing grant to make with this approval ("don't ask again"), or <see langword="null"/>. Only for approvals;
    /// the approver must be one of <see cref="ApprovalOptions.Granters"/> and the call must need a single approver.
    /// </summary>
    public GrantTerms? Grant
    {
        get;
        init => field = value is null || Approved ? value : throw new ArgumentException("Only an approval can make a standing grant.", nameof(Grant));
    }

    /// <summary>
    /// Gets a value indicating whether a rejection opts out of the retry-loop guard ("ask me again if it comes back"): when the
    /// model proposes the same call again in the conversation, it is put to a person again instead of being answered with this
    /// rejection (<see cref="ApprovalOptions.RejectedRepeatLimit"/>). Only for rejections; recorded on the call.
    /// </summary>
    public bool AskAgainIfRepeated
    {
        get;
        init => field = !value || !Approved ? value : throw new ArgumentException("Only a rejection can ask to be asked again.", nameof(AskAgainIfRepeated));
    }

    /// <summary>Approves the call as shown.</summary>
    /// <param name="approver">Who decides.</param>
    /// <param name="comment">An optional comment, recorded.</param>
    /// <returns>The decision.</returns>
    public static ApprovalDecision Approve(Approver approver, string? comment = null) => new(true, approver, comment, null);

    /// <summary>Rejects the call; the model is told it was rejected and why.</summary>
    /// <param name="approver">Who decides.</param>
    /// <param name="reason">Why, as recorded and sent to the model.</param>
    /// <returns>The decision.</returns>
    public static ApprovalDecision Reject(Approver approver, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(false, approver, reason, null);
    }

    /// <summary>Rejects the call; the model is told it was rejected and why.</summary>
    /// <param name="approver">Who decides.</param>
    /// <param name="reason">Why, as recorded and sent to the model.</param>
    /// <param name="askAgainIfRepeated">
    /// <see langword="true"/> to be asked again if the model proposes the same call again in the conversation, instead of the
    /// retry-loop guard answering it with this rejection (<see cref="AskAgainIfRepeated"/>).
    /// </param>
    /// <returns>The decision.</returns>
    public static ApprovalDecision Reject(Approver approver, string reason, bool askAgainIfRepeated) =>
        Reject(approver, reason) with { AskAgainIfRepeated = askAgainIfRepeated };

    /// <summary>Approves the call with different arguments; the policies check the edited arguments again.</summary>
    /// <param name="approver">Who decides.</param>
    /// <param name="arguments">The complete arguments to run.</param>
    /// <param name="comment">An optional comment, recorded.</param>
    /// <returns>The decision.</returns>
    public static ApprovalDecision ApproveWithArguments(Approver approver, IReadOnlyDictionary<string, object?> arguments, string? comment = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return new(true, approver, comment, CanonicalJson.FromArguments(arguments));
    }
}
