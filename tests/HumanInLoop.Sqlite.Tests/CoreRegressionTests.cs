using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>
/// Regressions for bugs of the core package found while testing the stores against a real SQLite file.
/// </summary>
public sealed class CoreRegressionTests : IDisposable
{
    private readonly SqliteTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task ConflictAfterLosingEveryCompareAndSwap_ReportsTheStatusTheApprovalReallyHas()
    {
        SqliteStateStore sqlite = new(_files.NewConnectionString());
        LosingStore store = new(sqlite);
        ApprovalService approvals = new(store, new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });
        ScriptedChatClient model = new(m => m[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500 })));
        IChatClient client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create((string to, int amount) => "sent", "transfer")) };
        string id = (await Assert.ThrowsAsync<PendingApprovalException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], options))).Approval.Id;
        await approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(new Approver("alice")));

        // From now on every write loses, as if other writers always got there first.
        store.LoseEveryUpdate = true;
        ApprovalConflictException conflict = await Assert.ThrowsAsync<ApprovalConflictException>(() => approvals.ResumeAsync(id, client, options));

        Assert.Equal(ApprovalStatus.Decided, (await sqlite.GetAsync(id))!.Status);
        Assert.Equal(ApprovalStatus.Decided, conflict.Status);
    }

    private sealed class LosingStore(IStateStore inner) : IStateStore
    {
        public bool LoseEveryUpdate { get; set; }

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            LoseEveryUpdate ? Task.FromResult(false) : inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);
    }
}
