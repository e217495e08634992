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
    // Calls the gate allowed, by object identity: nothing deserialized or forged can be in here.
    private static readonly ConditionalWeakTable<FunctionCallContent, object> s_allowed = [];
    private static readonly object s_mark = new();

    /// <summary>Gets the tool this one protects.</summary>
    public AIFunction Unprotected => InnerFunction;

    public static void Allow(FunctionCallContent call) => s_allowed.AddOrUpdate(call, s_mark);

    public static bool IsProtected(AITool tool) => tool is not AIFunction || tool.GetService<GateProtectedFunction>() is not null;

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(GateProtectedFunction) ? this : base.GetService(serviceType, serviceKey);

    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        bool resumed = ApprovedCall.Current is { } approved && approved.ToolName == Name;
        bool allowedByGate = FunctionInvokingChatClient.CurrentContext?.CallContent is { } call && call.Name == Name && s_allowed.TryGetValue(call, out _);
        if (!resumed && !allowedByGate)
        {
            throw new InvalidOperationException(
                $"The tool '{Name}' was invoked for a call the approval gate never allowed (for example from a ToolApprovalResponseContent in the input). It did not run.");
        }

        return base.InvokeCoreAsync(arguments, cancellationToken);
    }
}
