using HumanInLoop.Testing;

namespace HumanInLoop.StoreTesting;

/// <summary>
/// What the durable stores promise beyond <see cref="StateStoreContractTests"/>: the data and the conversation of real approvals
/// come back byte for byte. (Purge is part of the contract every store passes.)
/// </summary>
public abstract class DurableStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    [Fact]
    public async Task Data_UnicodeKeyOrderAndLateTypeDiscriminator_ComeBackByteForByte()
    {
        IStateStore store = await CreateStoreAsync();
        string data = "{\"z\":1,\"a\":{\"y\":[3,2,1],\"$type\":\"text\",\"b\":null},\"text\":\"Zürich → 東京 😀 \\u0000 \\\"q\\\" \\\\ tab\\t\",\"n\":1.50,\"e\":1E+2,  \"spaced\" : true }";
        string large = "{\"pad\":\"" + new string('x', 2_000_000) + "\",\"k\":\"ü\"}";
        StateEntry entry = new("a1", "c1", ApprovalStatus.Pending, Start, Start.AddDays(3), Start, 1, data);
        StateEntry big = entry with { Id = "a2", Data = large, History = "[" + large + "," + data + "]" };

        Assert.True(await store.TryCreateAsync(entry));
        Assert.True(await store.TryCreateAsync(big));

        Assert.Equal(data, (await store.GetAsync("a1"))!.Data);
        Assert.Equal(large, (await store.GetAsync("a2"))!.Data);
        Assert.Equal(big.History, (await store.GetAsync("a2"))!.History);
        Assert.Equal(data, (await store.ListAsync(new StateQuery { ConversationId = "c1" })).Entries.Single(e => e.Id == "a1").Data);
        Assert.Equal(big.History, (await store.ListAsync(new StateQuery { ConversationId = "c1" })).Entries.Single(e => e.Id == "a2").History);
    }

    [Fact]
    public async Task RealApproval_IsStoredExactlyAsWrittenAndStillVerifies()
    {
        IStateStore store = await CreateStoreAsync();
        ForwardingStore recorder = new(store, store.StoresHistorySeparately);
        TransferBank bank = new(recorder);
        string id = await bank.PauseAsync("conv-ü", "Überweise 500 an Zoë 😀");

        StateEntry written = Assert.Single(recorder.Created);
        StateEntry stored = (await store.GetAsync(id))!;
        PendingApproval approval = await bank.Approvals.GetAsync(id);

        // The record and the conversation kept apart, each exactly as the service wrote them.
        Assert.True(store.StoresHistorySeparately);
        Assert.Equal(written.Data, stored.Data);
        Assert.NotNull(written.History);
        Assert.Equal(written.History, stored.History);
        Assert.Equal(PendingApprovalSerializer.Serialize(approval), PendingApprovalSerializer.Serialize(PendingApprovalSerializer.Deserialize(stored)));
        Assert.Equal("Überweise 500 an Zoë 😀", approval.Messages[0].Text);
        Assert.Equal(Start, stored.CreatedAt);
        Assert.Equal(approval.ExpiresAt, stored.ExpiresAt);
    }
}
