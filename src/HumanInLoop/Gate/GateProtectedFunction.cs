using System.Runtime.CompilerServices;
using HumanInLoop;

namespace Microsoft.Extensions.AI;

/// <summary>
/// A tool that runs only when the approval gate allowed the exact call being invoked, or when a resume runs an approved
/// call. It closes the path by which <see cref="FunctionInvokingChatClient"/> runs tools named in
/// <see cref="ToolApprovalResponseContent"/>s found in the input messages without the model, and so without the gate.
/// </summary>
internal sealed class GateProtectedFunction(AIFunction innerFunction) : DelegatingAIFunction(innerFunction)
{
    // Calls the gate allowed (the mark) or denied (the denial to answer with), by object identity: nothing deserialized or
    // forged can be in here.
    private static readonly ConditionalWeakTable<FunctionCallContent, object> s_verdicts = [];
    private static readonly object s_allowedMark = new();

    /// <summary>Gets the tool this one protects.</summary>
    public AIFunction Unprotected => InnerFunction;

    public static void Allow(FunctionCallContent call) => s_verdicts.AddOrUpdate(call, s_allowedMark);

    /// <summary>Makes function invocation answer this call with <paramref name="denial"/> instead of running the tool.</summary>
    public static void Deny(FunctionCallContent call, string denial) => s_verdicts.AddOrUpdate(call, new Denial(denial));

    /// <summary>Finds the protected tool that function invocation would run for <paramref name="call"/>, if the options hold one.</summary>
    public static bool IsProtectedIn(ChatOptions? options, FunctionCallContent call)
    {
        if (options?.Tools is not { } tools)
        {
            return false;
        }

        for (int i = 0; i < tools.Count; i++)
        {
            if (tools[i] is AIFunction function && function.Name == call.Name)
            {
                return IsProtected(function);
            }
        }

        return false;
    }

    public static bool IsProtected(AITool tool) => tool is GateProtectedFunction or not AIFunction || tool.GetService<GateProtectedFunction>() is not null;

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(GateProtectedFunction) ? this : base.GetService(serviceType, serviceKey);

    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        object? verdict = null;
        bool judgedByGate = FunctionInvokingChatClient.CurrentContext?.CallContent is { } call && call.Name == Name && s_verdicts.TryGetValue(call, out verdict);
        bool resumed = !judgedByGate && ApprovedCall.Current is { } approved && approved.ToolName == Name && approved.TryEnter();
        if (!resumed && verdict is Denial denial)
        {
            // Denied by policy: the tool does not run; function invocation passes the denial to the model, which answers it.
            return new ValueTask<object?>(denial.Message);
        }

        if (!resumed && !judgedByGate)
        {
            throw new InvalidOperationException(
                $"The tool '{Name}' was invoked for a call the approval gate never allowed (for example from a ToolApprovalResponseContent in the input). It did not run.");
        }

        return base.InvokeCoreAsync(arguments, cancellationToken);
    }

    private sealed record Denial(string Message);
}
