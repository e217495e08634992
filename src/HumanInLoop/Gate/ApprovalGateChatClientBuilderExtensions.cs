using HumanInLoop;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.AI;

/// <summary>Adds the approval gate to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class ApprovalGateChatClientBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="ApprovalGateChatClient"/>. Call it after <c>UseFunctionInvocation()</c> so that the gate sits between
    /// function invocation and the model: <c>builder.UseFunctionInvocation().UseApprovalGate()</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="approvals">The service with the policies and store; <see langword="null"/> to take it from the builder's services (<c>services.AddHumanInLoop()</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ChatClientBuilder UseApprovalGate(this ChatClientBuilder builder, ApprovalService? approvals = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerClient, services) =>
        {
            ApprovalService resolved = approvals ?? services.GetService<ApprovalService>() ?? throw new InvalidOperationException(
                "UseApprovalGate needs an ApprovalService: pass one, or register it with services.AddHumanInLoop(...) and build the pipeline with that service provider.");
            return new ApprovalGateChatClient(innerClient, resolved);
        });
    }
}
