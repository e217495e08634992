using HumanInLoop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.AI;

/// <summary>Adds the approval gate to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class ApprovalGateChatClientBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="ApprovalGateChatClient"/>. Call it after <c>UseFunctionInvocation()</c> so that the gate sits between
    /// function invocation and the model: <c>builder.UseFunctionInvocation().UseApprovalGate()</c>.
    /// </summary>
    /// <remarks>
    /// The same shape as <c>UseFunctionInvocation(loggerFactory, configure)</c>: what is not passed comes from the services the
    /// pipeline is built with (<c>services.AddChatClient(...)</c>, or <c>Build(services)</c>).
    /// </remarks>
    /// <param name="builder">The builder.</param>
    /// <param name="approvals">The service with the policies and store; <see langword="null"/> to take it from the builder's services (<c>services.AddHumanInLoop()</c>).</param>
    /// <param name="loggerFactory">Where the gate logs its verdicts; <see langword="null"/> to take the builder's services' <see cref="ILoggerFactory"/>, if any.</param>
    /// <param name="configure">Called with each gate the pipeline creates, before it is used.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ChatClientBuilder UseApprovalGate(
        this ChatClientBuilder builder, ApprovalService? approvals = null, ILoggerFactory? loggerFactory = null, Action<ApprovalGateChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerClient, services) =>
        {
            // Locals, never the captured parameters: a pipeline built twice with other services must not keep the first ones.
            ApprovalService resolved = approvals ?? services.GetService<ApprovalService>() ?? throw new InvalidOperationException(
                "UseApprovalGate needs an ApprovalService: pass one, or register it with services.AddHumanInLoop(...) and build the pipeline with that service provider.");
            ApprovalGateChatClient gate = new(innerClient, resolved, loggerFactory ?? services.GetService<ILoggerFactory>());
            configure?.Invoke(gate);
            return gate;
        });
    }
}
