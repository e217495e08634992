using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HumanInLoop.AspNetCore.Tests;

public sealed class HostStopTests
{
    [Fact]
    public async Task AddHumanInLoop_HostStops_QueuedCallRecordsAreWrittenBeforeStopReturns()
    {
        // The in-memory store, with call-record writes held until the host begins to stop: before the stop the record cannot be
        // there, so finding it after StopAsync shows the stop waited for the background write.
        GatedCallRecordStore store = new(new InMemoryStateStore());
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IStateStore>(store);
        builder.Services.AddHumanInLoop(o => o.Policies.Add(ApprovalPolicy.Allow("check_balance")));
        using IHost host = builder.Build();
        await host.StartAsync();
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(store.Release);

        ApprovalService approvals = host.Services.GetRequiredService<ApprovalService>();
        ScriptedChatClient model = new(messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("Your balance is 1000.")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance")));
        IChatClient pipeline = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new ChatOptions { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create(() => 1000m, "check_balance")) }
            .WithCallerContext(new CallerContext { ConversationId = "conv-1", UserId = "carol" });

        ChatResponse response = await pipeline.GetResponseAsync([new ChatMessage(ChatRole.User, "balance")], options);
        Assert.Equal("Your balance is 1000.", response.Text);
        Assert.Empty((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries);

        await host.StopAsync();

        CallRecordEntry record = Assert.Single((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries);
        Assert.Equal("check_balance", record.ToolName);
    }

    /// <summary>Delegates to a store and holds call-record appends until <see cref="Release"/>.</summary>
    private sealed class GatedCallRecordStore(InMemoryStateStore inner) : ICallRecordStore
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public async Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default)
        {
            await _released.Task.WaitAsync(cancellationToken);
            await inner.AppendCallRecordsAsync(entries, cancellationToken);
        }

        public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default) => inner.ListCallRecordsAsync(query, cancellationToken);

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);
    }
}
