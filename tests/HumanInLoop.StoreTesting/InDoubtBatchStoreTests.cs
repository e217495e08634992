using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.StoreTesting;

/// <summary>
/// What happens to the other calls of a batch when one is found in doubt after its resume died while it ran (docs/states.md,
/// "In-doubt calls in a batch"), on a real store: in a batch a policy marked all or nothing, the calls not yet run are held until a
/// person reconciles the call in doubt (and never run if it did not take effect); in any other batch they run.
/// </summary>
/// <remarks>
/// The first resume is stopped inside the first tool call, after the tool took effect and before its outcome was saved (the tool
/// cancels the resume's token): the record is left exactly as by a process killed there (call <c>Started</c>), and the claim is
/// given back so the next resume need not wait for the lease. The crash-point matrix does the same with real SIGKILLs.
/// </remarks>
public abstract class InDoubtBatchStoreTests
{
    private static readonly Approver s_alice = new("alice");

    /// <summary>Creates a new, empty store.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    [Fact]
    public async Task AllOrNothingBatch_OneCallInDoubt_OthersHeldNotRunThenRunOnceItTookEffect()
    {
        Batch batch = await Batch.InterruptedAsync(await CreateStoreAsync(), allOrNothing: true);

        ApprovalConflictException inDoubt = await Assert.ThrowsAsync<ApprovalConflictException>(batch.ResumeAsync);

        Assert.Equal(ApprovalStatus.InDoubt, inDoubt.Status);
        Assert.Contains("Held, not run, in this all-or-nothing batch until then: c-2, c-3.", inDoubt.Message, StringComparison.Ordinal);
        Assert.Equal(["a"], batch.Executions);
        PendingApproval held = await batch.Approvals.GetAsync(batch.Id);
        Assert.True(held.AllOrNothingBatch);
        Assert.Equal([CallExecutionStatus.InDoubt, CallExecutionStatus.NotStarted, CallExecutionStatus.NotStarted], held.Calls.Select(c => c.Execution));
        Assert.Equal(["c-2", "c-3"], held.AuditTrail.Where(e => e.Event == ApprovalAuditEvent.CallHeld).Select(e => e.CallId));

        await batch.Approvals.ResolveInDoubtAsync(batch.Id, "c-1", s_alice, tookEffect: true, "The bank shows transfer a.");
        ResumeResult resumed = await batch.ResumeAsync();

        Assert.Equal(["a", "b", "c"], batch.Executions);
        Assert.Equal(ApprovalStatus.Completed, resumed.Approval.Status);
        Assert.Equal([CallExecutionStatus.Succeeded, CallExecutionStatus.Succeeded, CallExecutionStatus.Succeeded], resumed.Approval.Calls.Select(c => c.Execution));
    }

    [Fact]
    public async Task AllOrNothingBatch_CallInDoubtDidNotTakeEffect_OthersNeverRunAndTheModelIsTold()
    {
        Batch batch = await Batch.InterruptedAsync(await CreateStoreAsync(), allOrNothing: true);
        await Assert.ThrowsAsync<ApprovalConflictException>(batch.ResumeAsync);

        await batch.Approvals.ResolveInDoubtAsync(batch.Id, "c-1", s_alice, tookEffect: false, "The bank shows no transfer a.");
        ResumeResult resumed = await batch.ResumeAsync();

        Assert.Equal(["a"], batch.Executions); // a's own run, reconciled as without effect; b and c never ran
        Assert.Equal(ApprovalStatus.Completed, resumed.Approval.Status);
        Assert.Equal([CallExecutionStatus.NotRun, CallExecutionStatus.NotRun, CallExecutionStatus.NotRun], resumed.Approval.Calls.Select(c => c.Execution));
        FunctionResultContent[] results = [.. resumed.Response.Messages[0].Contents.OfType<FunctionResultContent>()];
        Assert.All(results.Skip(1), r => Assert.Contains("all-or-nothing batch and call c-1 of the batch was interrupted and did not take effect", r.Result?.ToString(), StringComparison.Ordinal));
        Assert.Equal(4, resumed.Approval.AuditTrail.Count(e => e.Event == ApprovalAuditEvent.CallHeld)); // held, then settled, each
    }

    [Fact]
    public async Task OrdinaryBatch_OneCallInDoubt_OthersRunAndTheInDoubtCallIsReportedNotRerun()
    {
        Batch batch = await Batch.InterruptedAsync(await CreateStoreAsync(), allOrNothing: false);

        ApprovalConflictException inDoubt = await Assert.ThrowsAsync<ApprovalConflictException>(batch.ResumeAsync);

        Assert.Equal(ApprovalStatus.InDoubt, inDoubt.Status);
        Assert.DoesNotContain("Held", inDoubt.Message, StringComparison.Ordinal);
        Assert.Equal(["a", "b", "c"], batch.Executions);
        PendingApproval after = await batch.Approvals.GetAsync(batch.Id);
        Assert.False(after.AllOrNothingBatch);
        Assert.Equal([CallExecutionStatus.InDoubt, CallExecutionStatus.Succeeded, CallExecutionStatus.Succeeded], after.Calls.Select(c => c.Execution));
        Assert.DoesNotContain(after.AuditTrail, e => e.Event == ApprovalAuditEvent.CallHeld);

        await batch.Approvals.ResolveInDoubtAsync(batch.Id, "c-1", s_alice, tookEffect: true, "The bank shows transfer a.");
        ResumeResult resumed = await batch.ResumeAsync();
        Assert.Equal(["a", "b", "c"], batch.Executions);
        Assert.Equal(ApprovalStatus.Completed, resumed.Approval.Status);
    }

    /// <summary>Three approved transfers (a, b, c) in one batch whose first resume died while transfer a ran.</summary>
    private sealed class Batch
    {
        private readonly IChatClient _client;
        private readonly AIFunction _transfer;
        private readonly List<string> _executions = [];
        private CancellationTokenSource? _dieDuringNextRun;

        private Batch(IStateStore store, bool allOrNothing)
        {
            IApprovalPolicy policy = ApprovalPolicy.Create(call =>
            {
                PolicyVerdict verdict = PolicyVerdict.RequireApproval("Transfers need a person.");
                return allOrNothing ? verdict.InAllOrNothingBatch() : verdict;
            });
            Approvals = new ApprovalService(store, new ApprovalOptions { Policies = { policy } });
            ScriptedChatClient model = new(messages => messages[^1].Role == ChatRole.Tool
                ? ScriptedChatClient.Text("done")
                : ScriptedChatClient.Calls(Transfer("c-1", "a"), Transfer("c-2", "b"), Transfer("c-3", "c")));
            _client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
            _transfer = AIFunctionFactory.Create(Run, "transfer", "Sends money.");
        }

        public ApprovalService Approvals { get; }

        public string Id { get; private set; } = "";

        public IReadOnlyList<string> Executions => _executions;

        public static async Task<Batch> InterruptedAsync(IStateStore store, bool allOrNothing)
        {
            Batch batch = new(store, allOrNothing);
            PendingApprovalException pause = await Assert.ThrowsAsync<PendingApprovalException>(
                () => batch._client.GetResponseAsync([new ChatMessage(ChatRole.User, "pay a, b and c")], batch.Options()));
            batch.Id = pause.Approval.Id;
            Assert.Equal(allOrNothing, pause.Approval.AllOrNothingBatch);
            foreach (string call in new[] { "c-1", "c-2", "c-3" })
            {
                await batch.Approvals.DecideAsync(batch.Id, call, ApprovalDecision.Approve(s_alice));
            }

            using CancellationTokenSource die = new();
            batch._dieDuringNextRun = die;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch.Approvals.ResumeAsync(batch.Id, batch._client, batch.Options(), die.Token));
            PendingApproval interrupted = await batch.Approvals.GetAsync(batch.Id);
            Assert.Equal([CallExecutionStatus.Started, CallExecutionStatus.NotStarted, CallExecutionStatus.NotStarted], interrupted.Calls.Select(c => c.Execution));
            Assert.Equal(["a"], batch.Executions);
            return batch;
        }

        public Task<ResumeResult> ResumeAsync() => Approvals.ResumeAsync(Id, _client, Options());

        private static FunctionCallContent Transfer(string callId, string to) =>
            ScriptedChatClient.Call(callId, "transfer", new Dictionary<string, object?> { ["to"] = to, ["amount"] = 100 });

        private ChatOptions Options() =>
            new ChatOptions { Tools = ApprovalService.ProtectTools(_transfer) }.WithCallerContext(new CallerContext { ConversationId = "conv-batch", UserId = "carol" });

        private string Run(string to, decimal amount)
        {
            _executions.Add(to);
            if (_dieDuringNextRun is { } die)
            {
                // Took effect, then the process "died" before its outcome was saved.
                _dieDuringNextRun = null;
                die.Cancel();
                die.Token.ThrowIfCancellationRequested();
            }

            return $"sent {amount} to {to}";
        }
    }
}
