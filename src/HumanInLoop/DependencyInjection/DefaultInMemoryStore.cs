using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.Internal;

/// <summary>
/// The store <c>AddHumanInLoop</c> registers when no other <see cref="IStateStore"/> is: an <see cref="InMemoryStateStore"/>,
/// with a warning logged once, when the container first resolves it (at start, through <see cref="StoreCheckOnStart"/>, in a host).
/// </summary>
/// <remarks>
/// A store registered by the application (<c>AddHumanInLoopSqlite</c>, <c>AddHumanInLoopPostgreSql</c>, its own, or an
/// <see cref="InMemoryStateStore"/> it registers itself on purpose) replaces this factory, so no warning is logged then.
/// </remarks>
internal static partial class DefaultInMemoryStore
{
    public static IStateStore Create(IServiceProvider provider)
    {
        ILogger logger = (ILogger?)provider.GetService<ILoggerFactory>()?.CreateLogger<InMemoryStateStore>() ?? NullLogger.Instance;
        KeptInMemory(logger);
        return new InMemoryStateStore();
    }

    [LoggerMessage(30, LogLevel.Warning,
        "HumanInLoop keeps approvals in memory: no IStateStore is registered, so AddHumanInLoop used an InMemoryStateStore. Pending approvals, " +
        "decisions and the audit trail are lost when the process stops, and other instances do not see them. Register a durable store " +
        "(services.AddHumanInLoopSqlite(...) or AddHumanInLoopPostgreSql(...)), or register InMemoryStateStore yourself " +
        "(services.AddSingleton<IStateStore, InMemoryStateStore>()) to say that you mean it.")]
    private static partial void KeptInMemory(ILogger logger);
}
