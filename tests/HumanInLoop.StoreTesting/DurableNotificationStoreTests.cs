using HumanInLoop.Notifications;

namespace HumanInLoop.StoreTesting;

/// <summary>
/// What the durable notification stores promise beyond <see cref="NotificationStoreContractTests"/>: delivery records and used
/// links survive a restart (a new store instance over the same file or database), and old records can be purged.
/// </summary>
public abstract class DurableNotificationStoreTests : NotificationStoreContractTests
{
    /// <summary>Opens a new store instance over the same storage, as a restarted process would; the old instance is released first.</summary>
    protected abstract Task<INotificationStore> RestartAsync(INotificationStore store);

    /// <summary>Calls the store's purge.</summary>
    protected abstract Task<int> PurgeAsync(INotificationStore store, DateTimeOffset before);

    [Fact]
    public async Task DeliveryRecordsAndUsedLinks_SurviveARestart()
    {
        INotificationStore store = await CreateStoreAsync();
        await store.MarkDeliveredAsync("a1|Pending||slack", Now);
        Assert.True(await store.TryConsumeLinkTokenAsync("hash-used", Now.AddDays(2), Now));

        INotificationStore restarted = await RestartAsync(store);

        Assert.True(await restarted.IsDeliveredAsync("a1|Pending||slack"));
        Assert.False(await restarted.IsDeliveredAsync("a1|Pending||email"));
        Assert.True(await restarted.IsLinkTokenUsedAsync("hash-used"));
        Assert.False(await restarted.TryConsumeLinkTokenAsync("hash-used", Now.AddDays(2), Now.AddHours(1)));
        Assert.True(await restarted.TryConsumeLinkTokenAsync("hash-new", Now.AddDays(2), Now.AddHours(1)));
    }

    [Fact]
    public async Task DeliveryClaim_SurvivesARestart_UntilItsLeaseEnds_AndIsPurgedAfter()
    {
        INotificationStore store = await CreateStoreAsync();
        Assert.True(await store.TryClaimDeliveryAsync("a1|Pending||email", "crashed-host", Now, Now.AddMinutes(5)));

        INotificationStore restarted = await RestartAsync(store);

        Assert.False(await restarted.TryClaimDeliveryAsync("a1|Pending||email", "new-host", Now.AddMinutes(1), Now.AddMinutes(6)));
        Assert.Equal(0, await PurgeAsync(restarted, Now.AddMinutes(5)));
        Assert.Equal(1, await PurgeAsync(restarted, Now.AddMinutes(5).AddMilliseconds(1)));
        Assert.True(await restarted.TryClaimDeliveryAsync("a1|Pending||email", "new-host", Now.AddMinutes(1), Now.AddMinutes(6)));
    }

    [Fact]
    public async Task Purge_RemovesExpiredTokensAndOldDeliveries_KeepsTheRest()
    {
        INotificationStore store = await CreateStoreAsync();
        await store.MarkDeliveredAsync("old", Now);
        await store.MarkDeliveredAsync("new", Now.AddHours(2));
        Assert.True(await store.TryConsumeLinkTokenAsync("expired", Now.AddHours(1), Now));
        Assert.True(await store.TryConsumeLinkTokenAsync("valid", Now.AddDays(1), Now));

        Assert.Equal(0, await PurgeAsync(store, Now));
        Assert.Equal(2, await PurgeAsync(store, Now.AddHours(1).AddMinutes(30)));

        Assert.False(await store.IsDeliveredAsync("old"));
        Assert.True(await store.IsDeliveredAsync("new"));
        Assert.False(await store.IsLinkTokenUsedAsync("expired"));
        Assert.True(await store.IsLinkTokenUsedAsync("valid"));
    }
}
