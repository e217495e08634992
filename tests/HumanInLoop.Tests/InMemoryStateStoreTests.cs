using HumanInLoop.Testing;

namespace HumanInLoop.Tests;

public sealed class InMemoryStateStoreTests : StateStoreContractTests
{
    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore());
}

public sealed class InMemoryCallRecordStoreTests : CallRecordStoreContractTests
{
    protected override Task<ICallRecordStore> CreateStoreAsync() => Task.FromResult<ICallRecordStore>(new InMemoryStateStore());
}

public sealed class InMemoryGrantStoreTests : GrantStoreContractTests
{
    protected override Task<IGrantStore> CreateStoreAsync() => Task.FromResult<IGrantStore>(new InMemoryStateStore());
}

public sealed class InMemoryHistoryContractTests : HistoryContractTests
{
    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore());
}

/// <summary>The contract for a store that keeps the interface's default (no conversation apart), as users' stores written before it.</summary>
public sealed class RecordOnlyStoreContractTests : StateStoreContractTests
{
    protected override bool KeepsHistoryApart => false;

    protected override bool IsPurgeable => false;

    protected override bool KeepsCallRecords => false;

    protected override bool KeepsGrants => false;

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new RecordOnlyStore());

    protected override Task<IStateStore?> OpenSameStorageAsync(IStateStore first) =>
        Task.FromResult<IStateStore?>(new RecordOnlyStore(((RecordOnlyStore)first).Storage));
}

public sealed class StateEntryTextTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void IdOrConversationWithALoneSurrogate_RefusedWhenConstructedAndInWith()
    {
        string lone = "apr_" + (char)0xD800;
        StateEntry entry = new("apr_1", "conv-1", ApprovalStatus.Pending, T0, T0, T0, 1, "{}");

        Assert.Throws<ArgumentException>(() => new StateEntry(lone, null, ApprovalStatus.Pending, T0, T0, T0, 1, "{}"));
        Assert.Throws<ArgumentException>(() => new StateEntry("apr_1", lone, ApprovalStatus.Pending, T0, T0, T0, 1, "{}"));
        Assert.Throws<ArgumentException>(() => entry with { Id = lone });
        Assert.Throws<ArgumentException>(() => entry with { ConversationId = lone });
        Assert.Equal("conv-\U0001F600", (entry with { ConversationId = "conv-\U0001F600" }).ConversationId); // a pair is text
    }
}

public sealed class InMemoryStoreCostContractTests : StoreCostContractTests
{
    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore());
}
