using HumanInLoop.Notifications;

namespace HumanInLoop.StoreTesting;

/// <summary>
/// What every <see cref="INotificationStore"/> promises (in-memory, SQLite, PostgreSQL): delivery records that answer exactly
/// for their key, delivery claims that one owner holds at a time (until its lease ends), link tokens consumed once however many
/// race for them, and input checks that change nothing.
/// </summary>
public abstract class NotificationStoreContractTests
{
    /// <summary>A fixed instant: the store records times but never reads a clock.</summary>
    protected static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store.</summary>
    protected abstract Task<INotificationStore> CreateStoreAsync();

    /// <summary>Opens a second instance over the same storage as <paramref name="store"/> (the same instance for a store in memory).</summary>
    protected abstract Task<INotificationStore> OpenAgainAsync(INotificationStore store);

    [Fact]
    public async Task Delivery_Unrecorded_IsNotDelivered_ThenRecorded_IsDelivered_RecordingTwiceIsHarmless()
    {
        INotificationStore store = await CreateStoreAsync();
        Assert.False(await store.IsDeliveredAsync("a1|Pending||slack"));

        await store.MarkDeliveredAsync("a1|Pending||slack", Now);
        await store.MarkDeliveredAsync("a1|Pending||slack", Now.AddMinutes(1));

        Assert.True(await store.IsDeliveredAsync("a1|Pending||slack"));
        Assert.False(await store.IsDeliveredAsync("a1|Pending||email"));
    }

    [Fact]
    public async Task Keys_AreExact_CaseAndSpaceAndUnicodeMatter_AndDeliveriesAndTokensAreApart()
    {
        INotificationStore store = await CreateStoreAsync();
        await store.MarkDeliveredAsync("a1|Decided|c1|Zürich 😀", Now);
        Assert.True(await store.IsDeliveredAsync("a1|Decided|c1|Zürich 😀"));
        Assert.False(await store.IsDeliveredAsync("A1|Decided|c1|Zürich 😀"));
        Assert.False(await store.IsDeliveredAsync("a1|Decided|c1|Zürich 😀 "));
        Assert.False(await store.IsDeliveredAsync("a1|Decided|c1|Zurich 😀"));
        Assert.False(await store.IsDeliveredAsync("a1|Decided|c1|"));

        // A delivery key and a token hash that happen to be equal are different records.
        Assert.True(await store.TryConsumeLinkTokenAsync("same-text", Now.AddHours(1), Now));
        Assert.False(await store.IsDeliveredAsync("same-text"));
        await store.MarkDeliveredAsync("other-text", Now);
        Assert.False(await store.IsLinkTokenUsedAsync("other-text"));
        Assert.True(await store.TryConsumeLinkTokenAsync("other-text", Now.AddHours(1), Now));
    }

    [Fact]
    public async Task LinkToken_FirstUseWins_SecondIsRefused_AndIsRemembered()
    {
        INotificationStore store = await CreateStoreAsync();
        Assert.False(await store.IsLinkTokenUsedAsync("hash-1"));

        Assert.True(await store.TryConsumeLinkTokenAsync("hash-1", Now.AddHours(1), Now));
        Assert.False(await store.TryConsumeLinkTokenAsync("hash-1", Now.AddHours(1), Now.AddSeconds(1)));

        Assert.True(await store.IsLinkTokenUsedAsync("hash-1"));
        Assert.False(await store.IsLinkTokenUsedAsync("hash-2"));
        Assert.True(await store.TryConsumeLinkTokenAsync("hash-2", Now.AddHours(1), Now));
    }

    [Fact]
    public async Task LinkToken_ManyConcurrentUses_OverTwoInstances_ExactlyOneWins()
    {
        INotificationStore first = await CreateStoreAsync();
        INotificationStore second = await OpenAgainAsync(first);
        for (int token = 0; token < 5; token++)
        {
            string hash = $"race-{token}";
            bool[] results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
                Task.Run(() => (i % 2 == 0 ? first : second).TryConsumeLinkTokenAsync(hash, Now.AddHours(1), Now))));
            Assert.Single(results, won => won);
            Assert.True(await second.IsLinkTokenUsedAsync(hash));
        }
    }

    [Fact]
    public async Task Delivery_RecordedByOneInstance_IsSeenByAnother()
    {
        INotificationStore first = await CreateStoreAsync();
        INotificationStore second = await OpenAgainAsync(first);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).MarkDeliveredAsync("same-key", Now))));
        Assert.True(await first.IsDeliveredAsync("same-key"));
        Assert.True(await second.IsDeliveredAsync("same-key"));
    }

    [Fact]
    public async Task DeliveryClaim_HeldByOneOwner_OthersRefusedUntilReleasedOrLeaseEnds_OwnerRenews()
    {
        INotificationStore first = await CreateStoreAsync();
        INotificationStore second = await OpenAgainAsync(first);
        Assert.True(await first.TryClaimDeliveryAsync("k1", "host-a", Now, Now.AddMinutes(5)));

        // Another owner, on either instance, is refused while the lease runs; the owner's own retries renew it.
        Assert.False(await second.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(1), Now.AddMinutes(6)));
        Assert.False(await first.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(1), Now.AddMinutes(6)));
        Assert.True(await second.TryClaimDeliveryAsync("k1", "host-a", Now.AddMinutes(4), Now.AddMinutes(9)));
        Assert.False(await second.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(8), Now.AddMinutes(13)));

        // Other keys are apart; a release by another owner changes nothing.
        Assert.True(await second.TryClaimDeliveryAsync("k2", "host-b", Now, Now.AddMinutes(5)));
        await second.ReleaseDeliveryClaimAsync("k1", "host-b");
        Assert.False(await second.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(8), Now.AddMinutes(13)));

        // The owner releases: the next claimant wins at once.
        await first.ReleaseDeliveryClaimAsync("k1", "host-a");
        Assert.True(await second.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(8), Now.AddMinutes(13)));
        Assert.False(await first.TryClaimDeliveryAsync("k1", "host-a", Now.AddMinutes(8), Now.AddMinutes(13)));
    }

    [Fact]
    public async Task DeliveryClaim_OfAHostThatDied_IsTakenOverWhenItsLeaseEnds_NotBefore()
    {
        INotificationStore first = await CreateStoreAsync();
        INotificationStore second = await OpenAgainAsync(first);
        Assert.True(await first.TryClaimDeliveryAsync("k1", "dead-host", Now, Now.AddMinutes(5)));

        Assert.False(await second.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(5).AddMilliseconds(-1), Now.AddMinutes(10)));
        Assert.True(await second.TryClaimDeliveryAsync("k1", "host-b", Now.AddMinutes(5), Now.AddMinutes(10)));

        // The dead host's late return does not take it back while the new lease runs.
        Assert.False(await first.TryClaimDeliveryAsync("k1", "dead-host", Now.AddMinutes(6), Now.AddMinutes(11)));
        await first.ReleaseDeliveryClaimAsync("k1", "dead-host");
        Assert.False(await first.TryClaimDeliveryAsync("k1", "host-c", Now.AddMinutes(6), Now.AddMinutes(11)));
    }

    [Fact]
    public async Task DeliveryClaim_ManyConcurrentOwners_OverTwoInstances_ExactlyOneWins()
    {
        INotificationStore first = await CreateStoreAsync();
        INotificationStore second = await OpenAgainAsync(first);
        for (int key = 0; key < 5; key++)
        {
            string deliveryKey = $"race-{key}|Pending||email";
            bool[] results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
                Task.Run(() => (i % 2 == 0 ? first : second).TryClaimDeliveryAsync(deliveryKey, $"owner-{i}", Now, Now.AddMinutes(5)))));
            Assert.Single(results, won => won);
        }
    }

    [Fact]
    public async Task DeliveryClaim_EmptyOrNullKeyOrOwner_IsRefusedWithArgumentExceptions_AndClaimsNothing()
    {
        INotificationStore store = await CreateStoreAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryClaimDeliveryAsync("", "owner", Now, Now.AddMinutes(5)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryClaimDeliveryAsync(null!, "owner", Now, Now.AddMinutes(5)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryClaimDeliveryAsync("k1", "", Now, Now.AddMinutes(5)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryClaimDeliveryAsync("k1", null!, Now, Now.AddMinutes(5)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ReleaseDeliveryClaimAsync("", "owner"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ReleaseDeliveryClaimAsync("k1", ""));

        Assert.True(await store.TryClaimDeliveryAsync("k1", "owner", Now, Now.AddMinutes(5)));
        Assert.False(await store.IsDeliveredAsync("k1"));
    }

    [Fact]
    public async Task EmptyOrNullKeys_AreRefusedWithArgumentExceptions_AndChangeNothing()
    {
        INotificationStore store = await CreateStoreAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.IsDeliveredAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.IsDeliveredAsync(null!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.MarkDeliveredAsync("", Now));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.MarkDeliveredAsync(null!, Now));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryConsumeLinkTokenAsync("", Now, Now));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TryConsumeLinkTokenAsync(null!, Now, Now));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.IsLinkTokenUsedAsync(""));

        // Still usable, and nothing was recorded by the refused calls.
        Assert.True(await store.TryConsumeLinkTokenAsync("after", Now.AddHours(1), Now));
        Assert.False(await store.IsDeliveredAsync("after"));
    }
}
