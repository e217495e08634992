using System.Text;
using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>
/// A person's decision on one pending call: approve, reject with a reason, approve with edited arguments, or answer in place
/// of the tool.
/// </summary>
/// <remarks>
/// Build it from an authenticated identity in the host. Nothing the model writes becomes a decision.
/// Instances are immutable.
/// </remarks>
public sealed record ApprovalDecision
{
    private ApprovalDecision(bool approved, Approver approver, string? reason, JsonElement? editedArguments, JsonElement? response = null)
    {
        ArgumentNullException.ThrowIfNull(approver);
        Approved = approved;
        Approver = approver;
        Reason = reason;
        EditedArguments = editedArguments;
        Response = response;
    }

    /// <summary>Gets a value indicating whether the call may run (<see langword="false"/> for a rejection and for an answer in place of the tool).</summary>
    public bool Approved { get; }

    /// <summary>Gets who decided.</summary>
    public Approver Approver { get; }

    /// <summary>Gets the reason for a rejection, or a comment on an approval.</summary>
    public string? Reason { get; }

    /// <summary>Gets the arguments to run instead of the model's, or <see langword="null"/>.</summary>
    public JsonElement? EditedArguments { get; }

    /// <summary>
    /// Gets the result to give the model in place of running the call (<see cref="RespondInstead(Approver, string, string?)"/>),
    /// or <see langword="null"/> for the other decisions.
    /// </summary>
    public JsonElement? Response { get; }

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

    /// <summary>
    /// Answers the call in place of the tool: the tool never runs, and the model receives <paramref name="result"/> as the call's
    /// result (the text as the tool's text would be). Recorded as given by <paramref name="approver"/>.
    /// </summary>
    /// <param name="approver">Who answers; authorized exactly as for an approval.</param>
    /// <param name="result">The result the model receives; not empty or blank.</param>
    /// <param name="comment">An optional comment, recorded (not sent to the model).</param>
    /// <returns>The decision.</returns>
    /// <exception cref="ArgumentException"><paramref name="result"/> is empty or blank, or longer than an approval records.</exception>
    public static ApprovalDecision RespondInstead(Approver approver, string result, string? comment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(result);
        return RespondInsteadWithJson(approver, ModelResults.ToJson(result)!.Value, comment);
    }

    /// <summary>
    /// Answers the call in place of the tool with a JSON result: the tool never runs, and the model receives
    /// <paramref name="result"/> as the call's result (a JSON string as its text). Recorded as given by <paramref name="approver"/>.
    /// </summary>
    /// <param name="approver">Who answers; authorized exactly as for an approval.</param>
    /// <param name="result">The result the model receives: any JSON value but <c>null</c>, an empty or blank string, or an empty object or array.</param>
    /// <param name="comment">An optional comment, recorded (not sent to the model).</param>
    /// <returns>The decision.</returns>
    /// <exception cref="ArgumentException"><paramref name="result"/> is missing, null, empty or blank, or longer than an approval records.</exception>
    public static ApprovalDecision RespondInsteadWithJson(Approver approver, JsonElement result, string? comment = null)
    {
        if (IsBlank(result))
        {
            throw new ArgumentException("The answer in place of the tool must not be empty: give the model a result.", nameof(result));
        }

        JsonElement copy = result.Clone();
        byte[] utf8 = Encoding.UTF8.GetBytes(copy.GetRawText());
        int length = utf8.Length;
        if (length > CallRunner.MaxResultLength)
        {
            throw new ArgumentException($"The answer is {length} bytes of JSON; an approval records at most {CallRunner.MaxResultLength}.", nameof(result));
        }

        if (DepthOf(utf8) > MaxResultDepth)
        {
            throw new ArgumentException($"The answer is JSON nested deeper than {MaxResultDepth} levels; an approval records it inside its own JSON.", nameof(result));
        }

        return new(false, approver, comment, null, copy);
    }

    /// <summary>The deepest JSON an answer in place of a tool may be: the stored approval nests it a few levels further.</summary>
    internal const int MaxResultDepth = 32;

    private static int DepthOf(byte[] utf8Json)
    {
        Utf8JsonReader reader = new(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
        int deepest = 0;
        while (reader.Read())
        {
            deepest = Math.Max(deepest, reader.CurrentDepth);
        }

        return deepest;
    }

    private static bool IsBlank(JsonElement result) => result.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => true,
        JsonValueKind.String => string.IsNullOrWhiteSpace(result.GetString()),
        JsonValueKind.Object => !result.EnumerateObject().Any(),
        JsonValueKind.Array => result.GetArrayLength() == 0,
        _ => false,
    };
}
