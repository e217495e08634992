namespace HumanInLoop;

/// <summary>
/// The call a resume is running, visible to the tool while it runs, so a tool such as a transfer can pass
/// <see cref="IdempotencyKey"/> downstream and be exactly-once.
/// </summary>
/// <remarks>Flows with the async context, like <see cref="System.Diagnostics.Activity.Current"/>.</remarks>
public sealed class ApprovedCall
{
    private static readonly AsyncLocal<ApprovedCall?> s_current = new();
    private int _entered;

    internal ApprovedCall(string approvalId, PendingToolCall call, int attempt)
    {
        ApprovalId = approvalId;
        CallId = call.CallId;
        ToolName = call.ToolName;
        IdempotencyKey = call.IdempotencyKey;
        ApprovedBy = call.DecidedBy;
        Attempt = attempt;
    }

    /// <summary>Gets the call being run by a resume on this async flow, or <see langword="null"/> outside of one.</summary>
    public static ApprovedCall? Current
    {
        get => s_current.Value;
        internal set => s_current.Value = value;
    }

    /// <summary>Gets the id of the approval the call belongs to.</summary>
    public string ApprovalId { get; }

    /// <summary>Gets the id the model gave the call.</summary>
    public string CallId { get; }

    /// <summary>Gets the tool name.</summary>
    public string ToolName { get; }

    /// <summary>Gets the key that is the same for every attempt to run this call.</summary>
    public string IdempotencyKey { get; }

    /// <summary>Gets the id of the person who approved it, or <see langword="null"/> when the policies allowed it.</summary>
    public string? ApprovedBy { get; }

    /// <summary>Gets 1 for the first attempt; more only for tools declared in <see cref="ApprovalOptions.IdempotentTools"/> re-run after an interruption.</summary>
    public int Attempt { get; }

    /// <summary>Lets the protected tool in once: a call of the same tool nested inside it (a sub-agent) is not the approved call.</summary>
    internal bool TryEnter() => Interlocked.Exchange(ref _entered, 1) == 0;
}
