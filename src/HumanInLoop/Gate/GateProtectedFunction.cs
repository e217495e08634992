using System.Collections.Concurrent;
using HumanInLoop;

namespace Microsoft.Extensions.AI;

/// <summary>
/// A tool that runs only when the approval gate allowed the exact call being invoked, or when a resume runs an approved
/// call. It closes the path by which <see cref="FunctionInvokingChatClient"/> runs tools named in
/// <see cref="ToolApprovalResponseContent"/>s found in the input messages without the model, and so without the gate.
/// </summary>
internal sealed class GateProtectedFunction(AIFunction innerFunction) : DelegatingAIFunction(innerFunction)
{
    private readonly bool _markedApprovalRequired = innerFunction.GetService<ApprovalRequiredAIFunction>() is not null;

    // Verdicts on calls, by object identity (nothing deserialized or forged can be in here), each taken by the one invocation
    // it is for. Not a ConditionalWeakTable: its per-entry GC handles cost more than the rest of the gate and slowed every
    // collection of the process.
    private static readonly ConcurrentDictionary<FunctionCallContent, Verdict> s_verdicts = new(ReferenceEqualityComparer.Instance);
    private static readonly AsyncLocal<AllowedAction?> s_allowedAction = new();
    private static long s_given;
    private static int s_unsurfacedRefusals;

    /// <summary>How many verdicts are given between two sweeps for verdicts nobody took.</summary>
    internal const int SweepEvery = 4096;

    /// <summary>
    /// How long a verdict waits to be taken: function invocation takes it at once, or after the calls before it in the same
    /// response ran. One it never takes (it stopped early: its iteration limit, a cancellation) goes at the next sweep after
    /// this; a call whose verdict went does not run (it fails closed).
    /// </summary>
    internal static readonly TimeSpan VerdictLifetime = TimeSpan.FromHours(1);

    /// <summary>Lets the protected tool run this one call object when function invocation invokes it.</summary>
    public static void Allow(FunctionCallContent call) => Give(call, null, Environment.TickCount64);

    /// <summary>Makes function invocation answer this call with <paramref name="denial"/> instead of running the tool.</summary>
    public static void Deny(FunctionCallContent call, string denial) => Give(call, denial, Environment.TickCount64);

    /// <summary>
    /// Runs an action of a plan the policies allowed through <paramref name="function"/> as given (any wrapper the caller put
    /// around the protected tool runs too); the protected tool inside lets this one invocation in.
    /// </summary>
    internal static async ValueTask<object?> InvokeAllowedActionAsync(AIFunction function, AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        s_allowedAction.Value = new AllowedAction(function.Name);
        return await function.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a verdict on <paramref name="call"/> waits to be taken.</summary>
    internal static bool HasVerdict(FunctionCallContent call) => s_verdicts.ContainsKey(call);

    /// <summary>
    /// Whether function invocation would run <paramref name="call"/> through a protected tool, so that it needs a verdict:
    /// not when the options hold an unprotected tool of that name (nothing would take the verdict). A name the options do
    /// not hold may still be one of function invocation's additional tools.
    /// </summary>
    public static bool NeedsVerdict(ChatOptions? options, FunctionCallContent call) => FindTool(options, call) is not { } tool || IsProtected(tool);

    internal static void Give(FunctionCallContent call, string? denial, long givenAt)
    {
        s_verdicts[call] = new Verdict(denial, givenAt);
        if (Interlocked.Increment(ref s_given) % SweepEvery == 0)
        {
            Sweep(Environment.TickCount64 - (long)VerdictLifetime.TotalMilliseconds);
        }
    }

    /// <summary>Removes the verdicts given before <paramref name="givenBefore"/> (<see cref="Environment.TickCount64"/>).</summary>
    internal static void Sweep(long givenBefore)
    {
        foreach (KeyValuePair<FunctionCallContent, Verdict> entry in s_verdicts)
        {
            if (entry.Value.GivenAt < givenBefore)
            {
                s_verdicts.TryRemove(entry);
            }
        }
    }

    /// <summary>Finds the protected tool that function invocation would run for <paramref name="call"/>, if the options hold one.</summary>
    public static bool IsProtectedIn(ChatOptions? options, FunctionCallContent call) => FindTool(options, call) is { } tool && IsProtected(tool);

    private static AIFunction? FindTool(ChatOptions? options, FunctionCallContent call)
    {
        IList<AITool>? tools = options?.Tools;
        for (int i = 0; i < tools?.Count; i++)
        {
            if (tools[i] is AIFunction function && function.Name == call.Name)
            {
                return function;
            }
        }

        return null;
    }

    public static bool IsProtected(AITool tool) => tool is GateProtectedFunction or not AIFunction || tool.GetService<GateProtectedFunction>() is not null;

    /// <summary>Whether <paramref name="tool"/> is marked <see cref="ApprovalRequiredAIFunction"/>, seen through the protection.</summary>
    public static bool IsMarkedApprovalRequired(AITool tool) =>
        tool.GetService<ApprovalRequiredAIFunction>() is not null || tool.GetService<GateProtectedFunction>() is { _markedApprovalRequired: true };

    /// <summary>Whether the tool the options hold for <paramref name="call"/> is marked <see cref="ApprovalRequiredAIFunction"/>.</summary>
    public static bool IsMarkedApprovalRequired(ChatOptions? options, FunctionCallContent call) => FindTool(options, call) is { } tool && IsMarkedApprovalRequired(tool);

    // Function invocation turns every call of a response into its own approval request when it finds a tool whose
    // GetService<ApprovalRequiredAIFunction>() answers, after the gate decided: a second approval system that the gate's
    // decisions would not reach. The protection answers null, and the marker counts through ApprovalOptions.ApprovalRequiredAIFunctionPolicy.
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? base.GetService(serviceType, serviceKey)
        : serviceType == typeof(GateProtectedFunction) ? this
        : serviceType == typeof(ApprovalRequiredAIFunction) ? null
        : base.GetService(serviceType, serviceKey);

    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        // Taken, so it serves this one invocation: the same call object passed again (in a later request's history) gets none.
        // Otherwise a resume's approved call or an allowed plan action may be let in, once.
        Verdict verdict = default;
        bool judgedByGate = FunctionInvokingChatClient.CurrentContext?.CallContent is { } call && call.Name == Name && s_verdicts.TryRemove(call, out verdict);
        bool letIn = !judgedByGate && (ApprovedCall.Current is { } approved && approved.ToolName == Name && approved.TryEnter() ||
            s_allowedAction.Value is { } action && action.ToolName == Name && action.TryEnter());
        if (!letIn && verdict.Denial is { } denial)
        {
            // Denied by policy: the tool does not run; function invocation passes the denial to the model, which answers it.
            return new ValueTask<object?>(denial);
        }

        if (!letIn && !judgedByGate)
        {
            if (FunctionInvokingChatClient.CurrentContext?.CallContent is { } invoked && invoked.Name == Name)
            {
                throw RefuseUnallowedCall(invoked, arguments);
            }

            throw new InvalidOperationException(
                $"The tool '{Name}' was invoked outside the approval gate and outside a resume (for example directly, or nested inside another call). It did not run.");
        }

        return base.InvokeCoreAsync(arguments, cancellationToken);
    }

    /// <summary>Whether a refusal waits for the gate to throw it (a cheap test before the gate looks through its input).</summary>
    internal static bool HasUnsurfacedRefusals => Volatile.Read(ref s_unsurfacedRefusals) > 0;

    /// <summary>Counts a refusal the gate has thrown.</summary>
    internal static void RefusalSurfaced() => Interlocked.Decrement(ref s_unsurfacedRefusals);

    /// <summary>
    /// The security event for a call function invocation runs without the gate having allowed it: in practice a
    /// <see cref="ToolApprovalResponseContent"/> in the chat input (function invocation runs its call without asking the model).
    /// It is reported (logged, counted) here when function invocation's services hold an <see cref="ApprovalService"/>, and by the
    /// gate, which finds it in the tool result of its next request and throws it instead of asking the model; reported once.
    /// </summary>
    private UnmatchedApprovalResponseException RefuseUnallowedCall(FunctionCallContent call, AIFunctionArguments arguments)
    {
        UnmatchedApprovalResponseException refusal = new(
            UnmatchedApprovalResponseKind.InChatInput, null, call.CallId, null, Name,
            $"The tool '{Name}' was invoked by function invocation for a call the approval gate never allowed (call '{call.CallId}'): a ToolApprovalResponseContent in the chat input, " +
            "forged, replayed or sent to the wrong place. It did not run. Approval responses decide only through ApprovalService.ApplyApprovalResponseAsync, then ResumeAsync.");
        (arguments.Services?.GetService(typeof(ApprovalService)) as ApprovalService)?.Refusals.Report(refusal);
        Interlocked.Increment(ref s_unsurfacedRefusals);
        return refusal;
    }

    /// <summary>An allowed action of a plan on its way to its tool: lets the tool in once (a nested call of the same tool is not it).</summary>
    private sealed class AllowedAction(string toolName)
    {
        private int _entered;

        public string ToolName { get; } = toolName;

        public bool TryEnter() => Interlocked.Exchange(ref _entered, 1) == 0;
    }

    /// <summary>A verdict: allowed (no denial) or the denial to answer with; when it was given (<see cref="Environment.TickCount64"/>).</summary>
    private readonly record struct Verdict(string? Denial, long GivenAt);
}
