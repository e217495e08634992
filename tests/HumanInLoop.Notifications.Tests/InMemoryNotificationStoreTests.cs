using HumanInLoop.Notifications.Internal;
using HumanInLoop.StoreTesting;

namespace HumanInLoop.Notifications.Tests;

/// <summary>The in-memory default held to the same contract as the durable stores.</summary>
public sealed class InMemoryNotificationStoreTests : NotificationStoreContractTests
{
    protected override Task<INotificationStore> CreateStoreAsync() => Task.FromResult<INotificationStore>(new InMemoryNotificationStore());

    protected override Task<INotificationStore> OpenAgainAsync(INotificationStore store) => Task.FromResult(store);
}
