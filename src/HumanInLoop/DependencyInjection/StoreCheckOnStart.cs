using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HumanInLoop.Internal;

/// <summary>
/// Registered by <c>AddHumanInLoop</c>: resolves the <see cref="IStateStore"/> when the host starts, so that a host left with the
/// in-memory default says so at start (<see cref="DefaultInMemoryStore"/>), not at its first approval. Builds nothing else.
/// </summary>
internal sealed class StoreCheckOnStart(IServiceProvider provider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = provider.GetRequiredService<IStateStore>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
