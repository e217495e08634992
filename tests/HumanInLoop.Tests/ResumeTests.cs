using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

public sealed class ResumeTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    /// <summary>How often the claim is renewed: a third of the default five-minute <see cref="ApprovalOptions.ExecutionLease"/>.</summary>
    private static readonly TimeSpan RenewalPeriod = TimeSpan.FromMinutes(5) / 3;

    private static async Task<(TestBank Bank, PendingApproval Pending)> PauseAsync(
        bool streaming, string text = "transfer 500 to bob", ApprovalOptions? options = null, ManualClock? time = null)
    {
        TestBank bank = new(options, time: time);
        Outcome outcome = await bank.SendAsync(text, streaming);
        return (bank, outcome.Pending);
    }

    /// <summary>Resumes streaming or not, and returns the response (streamed updates joined) or the error.</summary>
    private static async Task<(ChatResponse? Response, Exception? Error)> ResumeAsync(TestBank bank, string id, bool streaming, ChatOptions? options = null)
    {
        options ??= bank.ChatOptions();
        try
        {
            if (!streaming)
            {
                return ((await bank.Approvals.ResumeAsync(id, bank.Client, options)).Response, null);
            }

            List<ChatResponseUpdate> updates = [];
            await foreach (ChatResponseUpdate update in bank.Approvals.ResumeStreamingAsync(id, bank.Client, options))
            {
                updates.Add(update);
            }

            return (updates.ToChatResponse(), null);
        }
        catch (Exception exception)
        {
            return (null, exception);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Approved_RunsOnceWithPairedResults_AndModelAnswers(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        (ChatResponse? response, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Null(error);
        Assert.Contains("c-tr=sent 500 to bob", response!.Text, StringComparison.Ordinal);
        Assert.Equal(("bob", 500m), (bank.Transfers.Single().To, bank.Transfers.Single().Amount));
        Assert.Equal(500m, bank.Balance);

        // The model was called with the saved history, then one tool message answering the call.
        IReadOnlyList<ChatMessage> sent = bank.Model.Requests[^1];
        Assert.Equal(pending.Messages.Count + 1, sent.Count);
        Assert.Equal(ChatRole.Tool, sent[^1].Role);
        FunctionResultContent result = Assert.Single(sent[^1].Contents.OfType<FunctionResultContent>());
        Assert.Equal("c-tr", result.CallId);

        // A string result reaches the model as the same string it would have read had the call run at once (not JSON-quoted).
        Assert.Equal("sent 500 to bob", Assert.IsType<string>(result.Result));

        PendingApproval done = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, done.Status);
        Assert.Equal(CallExecutionStatus.Succeeded, done.Calls[0].Execution);
        Assert.Contains(done.AuditTrail, e => e.Event == ApprovalAuditEvent.CallSucceeded);
    }

    [Fact]
    public async Task Resume_ReturnsTheWholeConversationToContinueFrom()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        ResumeResult result = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Equal(["user", "assistant", "tool", "assistant"], result.Messages.Select(m => m.Role.Value));
        Assert.Equal(ChatRole.Tool, result.Response.Messages[0].Role);
        Assert.Equal(ApprovalStatus.Completed, result.Approval.Status);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task SecondResume_AfterCompletion_ConflictAndNothingRunsAgain(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await ResumeAsync(bank, pending.Id, streaming);

        (_, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        ApprovalConflictException conflict = Assert.IsType<ApprovalConflictException>(error);
        Assert.Equal(ApprovalStatus.Completed, conflict.Status);
        Assert.Single(bank.Transfers);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Rejected_NothingRuns_ModelIsToldTheReason(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "Bob is not a known payee"));

        (ChatResponse? response, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Null(error);
        Assert.Empty(bank.Transfers);
        Assert.Contains("rejected by the approver", response!.Text, StringComparison.Ordinal);
        Assert.Contains("Bob is not a known payee", response.Text, StringComparison.Ordinal);
        Assert.Equal(CallExecutionStatus.NotRun, (await bank.Approvals.GetAsync(pending.Id)).Calls[0].Execution);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task EditedArguments_TheEditedOnesRun_ModelIsTold(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 250m }));

        (ChatResponse? response, _) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Equal(250m, bank.Transfers.Single().Amount);
        Assert.Contains("changed the arguments", response!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MixedBatch_HarmlessCallRunsOnResumeWithoutAsking(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming, "balance and transfer 500 to bob");
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        (ChatResponse? response, _) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Equal(1, bank.BalanceChecks);
        Assert.Single(bank.Transfers);
        IReadOnlyList<ChatMessage> sent = bank.Model.Requests[^1];
        Assert.Equal(["c-bal", "c-tr"], sent[^1].Contents.OfType<FunctionResultContent>().Select(r => r.CallId));
        Assert.Contains("c-bal=1000", response!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task BeforeEveryCallIsDecided_ConflictNothingRuns(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming, "balance and transfer 500 to bob");

        (_, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Equal(ApprovalStatus.Pending, Assert.IsType<ApprovalConflictException>(error).Status);
        Assert.Equal(0, bank.BalanceChecks);
        Assert.Empty(bank.Transfers);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task UnknownId_NotFound(bool streaming)
    {
        TestBank bank = new();
        (_, Exception? error) = await ResumeAsync(bank, "apr_unknown", streaming);
        Assert.IsType<ApprovalNotFoundException>(error);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ExpiredUndecided_ResumeRunsNothingOfTheBatch_TellsTheModel_AndCloses(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming, "balance and transfer 500 to bob");
        bank.Time.Advance(TimeSpan.FromDays(4));

        (ChatResponse? response, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Null(error);
        Assert.Empty(bank.Transfers);
        Assert.Equal(0, bank.BalanceChecks);
        Assert.Contains("before its approval expired", response!.Text, StringComparison.Ordinal);
        Assert.Contains("approval of its batch expired", response.Text, StringComparison.Ordinal);
        PendingApproval closed = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, closed.Status);
        Assert.Equal([CallDecisionStatus.AutoAllowed, CallDecisionStatus.Expired], closed.Calls.Select(c => c.Decision));
        Assert.All(closed.Calls, c => Assert.Equal(CallExecutionStatus.NotRun, c.Execution));
        Assert.Contains(closed.AuditTrail, e => e.Event == ApprovalAuditEvent.Expired);

        (_, Exception? again) = await ResumeAsync(bank, pending.Id, streaming);
        Assert.IsType<ApprovalConflictException>(again);
        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ModelMakesAnotherGatedCall_PausesAgainWithANewApproval(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        bank.Model.Respond = messages => messages[^1].Role == ChatRole.Tool && messages.Count < 5
            ? ScriptedChatClient.Calls(TestBank.TransferCall("c-tr2", "dave", 700m))
            : ScriptedChatClient.Text("all done");

        (_, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        PendingApproval next = Assert.IsType<PendingApprovalException>(error).Approval;
        Assert.NotEqual(pending.Id, next.Id);
        Assert.Equal("c-tr2", next.Calls[0].CallId);
        Assert.Equal(pending.Context, next.Context);
        Assert.Equal(pending.Messages.Count + 2, next.Messages.Count);
        PendingApproval first = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, first.Status);
        Assert.Equal(next.Id, first.NextApprovalId);
        Assert.Single(bank.Transfers);

        await bank.Approvals.DecideAsync(next.Id, "c-tr2", ApprovalDecision.Approve(TestBank.Alice));
        (ChatResponse? final, Exception? finalError) = await ResumeAsync(bank, next.Id, streaming);
        Assert.Null(finalError);
        Assert.Equal("all done", final!.Messages[^1].Text);
        Assert.Equal(2, bank.Transfers.Count);
    }

    [Fact]
    public async Task HundredParallelResumes_ExactlyOneExecutes_OthersGetTypedConflict()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        using Barrier barrier = new(100);

        Task<Exception?>[] resumes = [.. Enumerable.Range(0, 100).Select(i => Task.Factory.StartNew(async () =>
        {
            barrier.SignalAndWait();
            (_, Exception? error) = await ResumeAsync(bank, pending.Id, streaming: i % 2 == 1);
            return error;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())];
        Exception?[] errors = await Task.WhenAll(resumes);

        Assert.Single(bank.Transfers);
        Assert.Equal(1, errors.Count(e => e is null));
        Assert.All(errors.Where(e => e is not null), e => Assert.IsType<ApprovalConflictException>(e));
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ModelFailsAfterToolsRan_ClaimReleased_RetryDoesNotRunToolsAgain(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        Func<IReadOnlyList<ChatMessage>, ChatResponse> script = bank.Model.Respond;
        bank.Model.Respond = _ => throw new HttpRequestException("model unavailable");

        (_, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.IsType<HttpRequestException>(error);
        PendingApproval released = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, released.Status);
        Assert.Equal(CallExecutionStatus.Succeeded, released.Calls[0].Execution);
        Assert.Contains(released.AuditTrail, e => e.Event == ApprovalAuditEvent.ClaimReleased);

        bank.Model.Respond = script;
        (ChatResponse? response, Exception? retryError) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Null(retryError);
        Assert.Contains("c-tr=sent 500 to bob", response!.Text, StringComparison.Ordinal);
        Assert.Single(bank.Transfers);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ToolThrows_RecordedAsFailed_ModelToldWithoutDetails_NeverRerun(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(streaming);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        bank.BeforeTransfer = () => throw new InvalidOperationException("core banking down: secret detail");

        (ChatResponse? response, _) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Contains("Error: Function failed.", response!.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret detail", response.Text, StringComparison.Ordinal);
        PendingApproval done = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(CallExecutionStatus.Failed, done.Calls[0].Execution);
        Assert.Contains("secret detail", done.AuditTrail.Single(e => e.Event == ApprovalAuditEvent.CallFailed).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdempotencyKey_VisibleToTheTool_StableForTheCall()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        var transfer = bank.Transfers.Single();
        Assert.Equal(pending.Calls[0].IdempotencyKey, transfer.IdempotencyKey);
        Assert.Equal(1, transfer.Attempt);
        Assert.Null(ApprovedCall.Current);
    }

    [Fact]
    public async Task MissingTool_RefusedBeforeClaim_NothingRunsAndStateUnchanged()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, "balance and transfer 500 to bob");
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        PendingApproval before = await bank.Approvals.GetAsync(pending.Id);
        ChatOptions withoutTransfer = new ChatOptions { Tools = ApprovalService.ProtectTools(bank.CheckBalance) }.WithCallerContext(pending.Context);

        ApprovalToolMissingException error = await Assert.ThrowsAsync<ApprovalToolMissingException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, withoutTransfer));

        Assert.Contains("'transfer'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["transfer"], error.ToolNames);
        Assert.Equal(pending.Id, error.ApprovalId);
        Assert.Equal(0, bank.BalanceChecks);
        PendingApproval after = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(ApprovalStatus.Decided, after.Status);
    }

    [Fact]
    public async Task ProcessDiedWhileToolRan_AnotherResumeAfterLeaseMarksInDoubt_NeverRuns()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        TaskCompletionSource entered = new();
        TaskCompletionSource never = new();
        bank.BeforeTransfer = async () => { entered.SetResult(); await never.Task; };
        using CancellationTokenSource stop = new();

        // The first resume runs in a "process" that dies inside the tool: from then on nothing it writes reaches the store
        // (so it cannot renew its claim either).
        DyingStore dying = new(bank.Store);
        ApprovalService dyingProcess = new(dying, bank.Options);
        Task<ResumeResult> stuck = dyingProcess.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions(), stop.Token);
        await entered.Task;
        dying.Die();
        Assert.Equal(ApprovalStatus.Executing, (await bank.Approvals.GetAsync(pending.Id)).Status);

        // While the lease holds, nobody else may resume.
        ApprovalConflictException busy = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Equal(ApprovalStatus.Executing, busy.Status);

        // After the lease lapses, a resume recovers: the call's effect is unknown, so it is marked in doubt, not re-run.
        bank.Time.Advance(TimeSpan.FromMinutes(6));
        ApprovalConflictException inDoubt = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Equal(ApprovalStatus.InDoubt, inDoubt.Status);
        PendingApproval state = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.InDoubt, state.Status);
        Assert.Equal(CallExecutionStatus.InDoubt, state.Calls[0].Execution);
        Assert.Empty(bank.Transfers);

        // The stuck resume, if it ever wakes, finds its claim lost and stops.
        stop.Cancel();
        never.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => stuck);
        Assert.Equal(ApprovalStatus.InDoubt, (await bank.Approvals.GetAsync(pending.Id)).Status);

        // A person reconciles; the conversation continues without running the call.
        await bank.Approvals.ResolveInDoubtAsync(pending.Id, "c-tr", TestBank.Alice, tookEffect: false, "Not on the statement.");
        ResumeResult resumed = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Contains("did not take effect", resumed.Response.Text, StringComparison.Ordinal);
        Assert.Single(bank.Transfers); // only the stuck one, released after the fact
        Assert.Equal(ApprovalStatus.Completed, resumed.Approval.Status);
    }

    /// <summary>
    /// Starts a resume in a "process" that dies inside the approved tool: from then on nothing it writes reaches the store (so it
    /// renews nothing), and the clock moves past the lease. Returns the hung resume and the gate that would release the tool.
    /// </summary>
    private static async Task<(Task<ResumeResult> Stuck, TaskCompletionSource Release)> DieInsideTheToolAsync(TestBank bank, string approvalId, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource entered = new();
        TaskCompletionSource release = new();
        bank.BeforeTransfer = async () => { entered.TrySetResult(); await release.Task; };
        DyingStore dying = new(bank.Store);
        Task<ResumeResult> stuck = new ApprovalService(dying, bank.Options).ResumeAsync(approvalId, bank.Client, bank.ChatOptions(), cancellationToken);
        await entered.Task;
        dying.Die();
        return (stuck, release);
    }

    [Fact]
    public async Task InDoubt_OnlySomeoneWhoMayApproveTheCall_MayReconcileIt()
    {
        ApprovalOptions options = new() { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a teller.", ["approver"]) } };
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, options: options);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        (_, TaskCompletionSource never) = await DieInsideTheToolAsync(bank, pending.Id);
        bank.Time.Advance(TimeSpan.FromMinutes(6));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.ResolveInDoubtAsync(pending.Id, "c-tr", TestBank.Bob, tookEffect: false, "Says bob."));
        Assert.Equal(ApprovalStatus.InDoubt, (await bank.Approvals.GetAsync(pending.Id)).Status);
        PendingApproval reconciled = await bank.Approvals.ResolveInDoubtAsync(pending.Id, "c-tr", TestBank.Alice, tookEffect: true, "On the statement.");
        Assert.Equal(ApprovalStatus.Decided, reconciled.Status);
        never.SetResult();
    }

    [Fact]
    public async Task ToolRunsLongerThanTheLease_ClaimIsRenewed_NoOtherResumeTakesOver()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.IdempotentTools.Add("transfer"); // the worst case: a lapsed claim would let a second resume run it again
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, options: options);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        TaskCompletionSource entered = new();
        TaskCompletionSource finish = new();
        bank.BeforeTransfer = async () => { entered.TrySetResult(); await finish.Task; };

        Task<ResumeResult> running = bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        await entered.Task;
        await bank.Time.WaitForTimerAsync(RenewalPeriod); // the clock moves only once renewal runs, as real time would

        // The tool runs for 12 minutes, more than twice the 5-minute lease; the claim always has time left.
        for (int minute = 1; minute <= 12; minute++)
        {
            bank.Time.Advance(TimeSpan.FromMinutes(1));
            await WaitUntilAsync(async () => (await bank.Approvals.GetAsync(pending.Id)).ClaimExpiresAt > bank.Time.GetUtcNow() + TimeSpan.FromMinutes(2));
        }

        ApprovalConflictException busy = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Equal(ApprovalStatus.Executing, busy.Status);

        finish.SetResult();
        ResumeResult done = await running;

        Assert.Equal(ApprovalStatus.Completed, done.Approval.Status);
        Assert.Equal(CallExecutionStatus.Succeeded, done.Approval.Calls[0].Execution);
        Assert.Equal(1, Assert.Single(bank.Transfers).Attempt);
        Assert.DoesNotContain(done.Approval.AuditTrail, e => e.Event == ApprovalAuditEvent.CallInDoubt);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ModelAnswersLongerThanTheLease_ClaimIsKept_NoOtherResumeSendsTheResultsAgain(bool streaming)
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        SlowModel slow = new(bank.Model);
        IChatClient pipeline = new ChatClientBuilder(slow).UseFunctionInvocation().UseApprovalGate(bank.Approvals).Build();

        Task<ChatResponse> resuming = streaming
            ? bank.Approvals.ResumeStreamingAsync(pending.Id, pipeline, bank.ChatOptions()).ToChatResponseAsync()
            : bank.Approvals.ResumeAsync(pending.Id, pipeline, bank.ChatOptions()).ContinueWith(t => t.Result.Response, TaskScheduler.Default);
        await slow.Called.Task;
        await bank.Time.WaitForTimerAsync(RenewalPeriod); // the clock moves only once renewal runs, as real time would

        // The model takes 12 minutes to answer, more than twice the 5-minute lease; the claim always has time left.
        for (int minute = 1; minute <= 12; minute++)
        {
            bank.Time.Advance(TimeSpan.FromMinutes(1));
            await WaitUntilAsync(async () => (await bank.Approvals.GetAsync(pending.Id)).ClaimExpiresAt > bank.Time.GetUtcNow() + TimeSpan.FromMinutes(2));
        }

        ApprovalConflictException busy = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Equal(ApprovalStatus.Executing, busy.Status);
        slow.Answer.SetResult();
        ChatResponse response = await resuming;

        Assert.Contains("c-tr=sent 500 to bob", response.Text, StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.GetAsync(pending.Id)).Status);
        Assert.Single(bank.Transfers);
        Assert.Equal(2, bank.Model.Requests.Count); // the pause and this resume's one answer: no second resume reached the model
    }

    [Fact]
    public async Task RenewalSavesThatReturnLate_DoNotDelayTheNextRenewal()
    {
        SlowToReturnStore store = new(new InMemoryStateStore());
        TestBank bank = new(store: store);
        store.Time = bank.Time;
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        SlowModel slow = new(bank.Model);
        IChatClient pipeline = new ChatClientBuilder(slow).UseFunctionInvocation().UseApprovalGate(bank.Approvals).Build();
        Task<ResumeResult> resuming = bank.Approvals.ResumeAsync(pending.Id, pipeline, bank.ChatOptions());
        await slow.Called.Task;

        // The renewal's timer starts once the model call has returned its task: the clock may only move from then on, as real
        // time would (moved first, the first renewal fell due after the claim's expiry and the test waited for it forever).
        await bank.Time.WaitForTimerAsync(RenewalPeriod);

        // Each renewal is stored at once but its save returns only two minutes later (a busy store): the schedule must not
        // slide by that, or the claim would lapse between renewals.
        store.ReturnLate = true;
        for (int minute = 1; minute <= 12; minute++)
        {
            bank.Time.Advance(TimeSpan.FromMinutes(1));
            await WaitUntilAsync(async () => (await bank.Approvals.GetAsync(pending.Id)).ClaimExpiresAt > bank.Time.GetUtcNow() + TimeSpan.FromMinutes(2));
        }

        store.ReturnLate = false;
        slow.Answer.SetResult();

        // A renewal save still waiting returns once the clock moves on (whenever it started waiting).
        using (CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30)))
        {
            while (!resuming.IsCompleted)
            {
                timeout.Token.ThrowIfCancellationRequested();
                bank.Time.Advance(TimeSpan.FromMinutes(2));
                await Task.WhenAny(resuming, Task.Delay(20, CancellationToken.None));
            }
        }

        ResumeResult resumed = await resuming;

        Assert.Equal(ApprovalStatus.Completed, resumed.Approval.Status);
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task StreamingResume_ReaderStopsWithoutDisposing_ClaimLapses_AnotherResumeFinishesWithoutRerunning()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(true);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        // Read the first update (the tool results), then walk away without disposing the enumerator.
        IAsyncEnumerator<ChatResponseUpdate> abandoned = bank.Approvals.ResumeStreamingAsync(pending.Id, bank.Client, bank.ChatOptions()).GetAsyncEnumerator();
        Assert.True(await abandoned.MoveNextAsync());
        Assert.Single(bank.Transfers);
        for (int minute = 1; minute <= 7; minute++)
        {
            bank.Time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
        }

        Assert.True((await bank.Approvals.GetAsync(pending.Id)).ClaimExpiresAt <= bank.Time.GetUtcNow());
        ResumeResult finished = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Equal(ApprovalStatus.Completed, finished.Approval.Status);
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task ProcessDiedWhileIdempotentToolRan_RecoveryRerunsWithTheSameKey()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.IdempotentTools.Add("transfer");
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, options: options);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await DieInsideTheToolAsync(bank, pending.Id);
        bank.Time.Advance(TimeSpan.FromMinutes(6));
        bank.BeforeTransfer = null;

        ResumeResult recovered = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        var transfer = bank.Transfers.Single();
        Assert.Equal(pending.Calls[0].IdempotencyKey, transfer.IdempotencyKey);
        Assert.Equal(2, transfer.Attempt);
        Assert.Equal(ApprovalStatus.Completed, recovered.Approval.Status);
    }

    [Fact]
    public async Task CancelledResume_BeforeTheToolRuns_ReleasesAndCanResumeLater()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        using CancellationTokenSource cancelled = new();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions(), cancelled.Token));

        Assert.Empty(bank.Transfers);
        ResumeResult result = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Single(bank.Transfers);
        Assert.Equal(ApprovalStatus.Completed, result.Approval.Status);
    }

    [Fact]
    public async Task StreamingResumeAbandonedEarly_ClaimReleased_NextResumeDoesNotRerun()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(true);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        await foreach (ChatResponseUpdate update in bank.Approvals.ResumeStreamingAsync(pending.Id, bank.Client, bank.ChatOptions()))
        {
            Assert.Equal(ChatRole.Tool, update.Role);
            break; // the page closed after the tool results
        }

        PendingApproval released = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, released.Status);
        Assert.Equal(CallExecutionStatus.Succeeded, released.Calls[0].Execution);

        ResumeResult again = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Single(bank.Transfers);
        Assert.Equal(ApprovalStatus.Completed, again.Approval.Status);
    }

    [Fact]
    public async Task CancelledBetweenCalls_FinishedCallsKept_ClaimReleased_RestRunsLater()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, "balance and transfer 500 to bob");
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        using CancellationTokenSource cancel = new();
        ChatOptions options = bank.ChatOptions();
        AIFunction cancellingBalance = AIFunctionFactory.Create(() => { cancel.Cancel(); return 1000m; }, "check_balance");
        options.Tools = ApprovalService.ProtectTools(cancellingBalance, bank.Transfer);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, options, cancel.Token));

        PendingApproval released = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, released.Status);
        Assert.Equal([CallExecutionStatus.Succeeded, CallExecutionStatus.NotStarted], released.Calls.Select(c => c.Execution));
        Assert.Empty(bank.Transfers);

        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Equal(0, bank.BalanceChecks);
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task ToolResultLongerThanAnApprovalRecords_IsReplacedByANote_TheApprovalStaysReadable()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, "balance and transfer 500 to bob");
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        ChatOptions options = bank.ChatOptions();
        AIFunction hugeBalance = AIFunctionFactory.Create(() => new string('9', 5 * 1024 * 1024), "check_balance");
        options.Tools = ApprovalService.ProtectTools(hugeBalance, bank.Transfer);

        ResumeResult result = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, options);

        Assert.Single(bank.Transfers);
        PendingApproval stored = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, stored.Status);
        PendingToolCall balance = stored.FindCall("c-bal")!;
        Assert.Equal(CallExecutionStatus.Succeeded, balance.Execution);
        Assert.StartsWith("The call ran, but its result (5242882 bytes of JSON) is longer than the 4194304", balance.Result!.Value.GetString(), StringComparison.Ordinal);
        Assert.Contains(result.Response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>(),
            r => r.CallId == "c-bal" && r.Result is string text && text.StartsWith("The call ran, but its result", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ApprovalHeldJustUnderTheLengthLimit_ALargeResultUnderItsOwnCap_IsNotKept_TheApprovalStaysReadable(bool modelFailsFirst)
    {
        // Found by review: the hold's length check alone let later writes (here a 3 MiB result) make an approval too long to read
        // back, after its call had run; a failed continuation then could never be resumed.
        TestBank bank = new();
        ChatMessage longConversation = new(ChatRole.User, new string('a', PendingApprovalSerializer.MaxLength - (2 * 1024 * 1024)));
        Outcome outcome = await Outcome.CaptureAsync(bank.Client, [longConversation, new ChatMessage(ChatRole.User, "balance and transfer 500 to bob")], bank.ChatOptions(), streaming: false);
        PendingApproval pending = outcome.Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        ChatOptions options = bank.ChatOptions();
        AIFunction bigBalance = AIFunctionFactory.Create(() => new string('9', 3 * 1024 * 1024), "check_balance");
        options.Tools = ApprovalService.ProtectTools(bigBalance, bank.Transfer);
        if (modelFailsFirst)
        {
            // The model is down when the results are sent: the claim is given back with the calls' outcomes, to resume later.
            Func<IReadOnlyList<ChatMessage>, ChatResponse> script = bank.Model.Respond;
            bank.Model.Respond = _ => throw new HttpRequestException("model unavailable");
            await Assert.ThrowsAsync<HttpRequestException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, options));
            bank.Model.Respond = script;
        }

        ResumeResult result = modelFailsFirst
            ? await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions())
            : await bank.Approvals.ResumeAsync(pending.Id, bank.Client, options);

        Assert.Single(bank.Transfers);
        Assert.Equal(ApprovalStatus.Completed, result.Approval.Status);
        PendingApproval stored = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, stored.Status);
        Assert.StartsWith("The call ran, but its result (3145730 bytes of JSON) would make the approval too long to read back", stored.FindCall("c-bal")!.Result!.Value.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditedArgumentsThatWouldMakeTheApprovalTooLongToRead_AreRefused_TheApprovalStaysPendingAndReadable()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(false, "transfer 500 to bob");
        Dictionary<string, object?> edited = new() { ["to"] = "bob", ["amount"] = 400m, ["memo"] = new string('m', PendingApprovalSerializer.MaxLength) };

        ApprovalStateFormatException error = await Assert.ThrowsAsync<ApprovalStateFormatException>(
            () => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.ApproveWithArguments(TestBank.Alice, edited)));

        Assert.Contains("it was not saved", error.Message, StringComparison.Ordinal);
        PendingApproval stored = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Pending, stored.Status);
        Assert.Equal(pending.Version, stored.Version);
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Single(bank.Transfers);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A store as a process sees it: after <see cref="Die"/>, nothing it writes or reads reaches the shared store.</summary>
    private sealed class DyingStore(IStateStore inner) : IStateStore
    {
        private volatile bool _dead;

        public void Die() => _dead = true;

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => Alive() ?? inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) =>
            _dead ? Task.FromException<StateEntry?>(new IOException("The process died.")) : inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            Alive() ?? inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) =>
            _dead ? Task.FromException<StatePage>(new IOException("The process died.")) : inner.ListAsync(query, cancellationToken);

        private Task<bool>? Alive() => _dead ? Task.FromException<bool>(new IOException("The process died.")) : null;
    }

    /// <summary>A store whose updates are stored at once but, while <see cref="ReturnLate"/>, return two (fake) minutes later.</summary>
    private sealed class SlowToReturnStore(IStateStore inner) : IStateStore
    {
        private volatile bool _returnLate;

        public TimeProvider Time { get; set; } = TimeProvider.System;

        public bool ReturnLate
        {
            get => _returnLate;
            set => _returnLate = value;
        }

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
        {
            // Two minutes from when the save began, not from after the write: a thread paused between the two would otherwise
            // return later than that, while the test moves the clock on.
            Task late = _returnLate ? Task.Delay(TimeSpan.FromMinutes(2), Time, CancellationToken.None) : Task.CompletedTask;
            bool stored = await inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);
            await late;
            return stored;
        }

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);
    }

    /// <summary>A model that takes its time to answer a resume: it waits for <see cref="Answer"/> once it sees tool results.</summary>
    private sealed class SlowModel(IChatClient inner) : DelegatingChatClient(inner)
    {
        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await WaitIfResumedAsync(messages);
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await WaitIfResumedAsync(messages);
            await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                yield return update;
            }
        }

        private async Task WaitIfResumedAsync(IEnumerable<ChatMessage> messages)
        {
            if (messages.Last().Role == ChatRole.Tool)
            {
                Called.TrySetResult();
                await Answer.Task;
            }
        }
    }
}
