using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

public sealed class DecideTests
{
    private static async Task<(TestBank Bank, PendingApproval Pending)> PauseAsync(ApprovalOptions? options = null, string text = "transfer 500 to bob")
    {
        TestBank bank = new(options);
        Outcome outcome = await bank.SendAsync(text, streaming: false);
        return (bank, outcome.Pending);
    }

    [Fact]
    public async Task Approve_RecordsWhoWhenWhatAndMovesToDecided()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        bank.Time.Advance(TimeSpan.FromMinutes(5));

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "ok, known payee"));

        Assert.Equal(ApprovalStatus.Decided, decided.Status);
        PendingToolCall call = decided.Calls[0];
        Assert.Equal(CallDecisionStatus.Approved, call.Decision);
        Assert.Equal("alice", call.DecidedBy);
        Assert.Equal(bank.Time.GetUtcNow(), call.DecidedAt);
        Assert.Equal("ok, known payee", call.DecisionReason);
        Assert.Equal(call.Fingerprint, call.ApprovedFingerprint);

        ApprovalAuditEntry entry = decided.AuditTrail[^1];
        Assert.Equal(ApprovalAuditEvent.Approved, entry.Event);
        Assert.Equal("alice", entry.Actor);
        Assert.Equal("c-tr", entry.CallId);
        Assert.Equal("transfer", entry.ToolName);
        Assert.Equal(call.Fingerprint, entry.Fingerprint);
        Assert.Equal("""{"amount":500,"to":"bob"}""", entry.Arguments!.Value.GetRawText());
        Assert.Equal("ok, known payee", entry.Reason);
        Assert.Equal(bank.Time.GetUtcNow(), entry.Timestamp);

        // Read back from the store, not just the returned snapshot.
        PendingApproval reread = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, reread.Status);
        Assert.Equal(decided.AuditTrail.Count, reread.AuditTrail.Count);
    }

    [Fact]
    public async Task EveryAutomaticDecisionIsRecordedToo()
    {
        (_, PendingApproval pending) = await PauseAsync(text: "balance and transfer 500 to bob");

        Assert.Collection(pending.AuditTrail,
            e => Assert.Equal(ApprovalAuditEvent.Created, e.Event),
            e =>
            {
                Assert.Equal(ApprovalAuditEvent.AutoAllowed, e.Event);
                Assert.Equal(("policy", "c-bal", "check_balance"), (e.Actor, e.CallId, e.ToolName));
                Assert.NotNull(e.Fingerprint);
            },
            e =>
            {
                Assert.Equal(ApprovalAuditEvent.ApprovalRequested, e.Event);
                Assert.Equal("Transfers over $100 need a person.", e.Reason);
                Assert.Equal("""{"amount":500,"to":"bob"}""", e.Arguments!.Value.GetRawText());
            });
    }

    [Fact]
    public async Task Reject_RequiresReasonAndRecordsIt()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();

        Assert.Throws<ArgumentException>(() => ApprovalDecision.Reject(TestBank.Alice, " "));
        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "unknown payee"));

        Assert.Equal(CallDecisionStatus.Rejected, decided.Calls[0].Decision);
        Assert.Equal(ApprovalAuditEvent.Rejected, decided.AuditTrail[^1].Event);
        Assert.Equal("unknown payee", decided.AuditTrail[^1].Reason);
    }

    [Fact]
    public async Task SecondDecisionOnADecidedCall_ConflictAndFirstStands()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        ApprovalConflictException error = await Assert.ThrowsAsync<ApprovalConflictException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "changed my mind")));

        Assert.Equal("c-tr", error.CallId);
        Assert.Equal(CallDecisionStatus.Approved, (await bank.Approvals.GetAsync(pending.Id)).Calls[0].Decision);
    }

    [Fact]
    public async Task UnknownApprovalOrCall_NotFound()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();

        ApprovalNotFoundException noApproval = await Assert.ThrowsAsync<ApprovalNotFoundException>(() =>
            bank.Approvals.DecideAsync("apr_nope", "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
        ApprovalNotFoundException noCall = await Assert.ThrowsAsync<ApprovalNotFoundException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-never", ApprovalDecision.Approve(TestBank.Alice)));

        Assert.Equal("apr_nope", noApproval.ApprovalId);
        Assert.Equal("c-never", noCall.CallId);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Fact]
    public async Task DecisionOnAutoAllowedCall_ConflictNeverPending()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(text: "balance and transfer 500 to bob");

        ApprovalConflictException error = await Assert.ThrowsAsync<ApprovalConflictException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-bal", ApprovalDecision.Reject(TestBank.Alice, "no")));
        Assert.Contains("never pending", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproverNotAllowedByPolicy_Forbidden()
    {
        ApprovalOptions options = new()
        {
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Big money.", approvers: ["treasury"]) },
        };
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob)));
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(new Approver("dana", ["treasury"])));
        Assert.Equal(ApprovalStatus.Decided, decided.Status);
    }

    [Fact]
    public async Task SelfApproval_ForbiddenWhenConfigured()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.PreventSelfApproval = true;
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        ApprovalForbiddenException error = await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(new Approver("carol"))));
        Assert.Contains("own request", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectedFingerprintMismatch_IntegrityErrorNothingDecided()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.DecideAsync(
            pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice) with { ExpectedFingerprint = new string('0', 64) }));
        PendingApproval decided = await bank.Approvals.DecideAsync(
            pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice) with { ExpectedFingerprint = pending.Calls[0].Fingerprint });

        Assert.Equal(ApprovalStatus.Decided, decided.Status);
    }

    [Fact]
    public async Task AfterDeadline_DecisionRefusedAndExpiryRecorded()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        bank.Time.Advance(TimeSpan.FromDays(3));

        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));

        PendingApproval expired = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Expired, expired.Status);
        Assert.Equal(ApprovalAuditEvent.Expired, expired.AuditTrail[^1].Event);
        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
    }

    [Fact]
    public async Task PolicyDeadline_ShorterThanDefault_IsUsed()
    {
        ApprovalOptions options = new() { Policies = { ApprovalPolicy.RequireApproval("transfer", "r", expiresAfter: TimeSpan.FromHours(1)) } };
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        Assert.Equal(pending.CreatedAt + TimeSpan.FromHours(1), pending.ExpiresAt);
        bank.Time.Advance(TimeSpan.FromMinutes(59));
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
    }

    [Fact]
    public async Task EditedArguments_RecheckedByPolicies_RecordedWithNewFingerprint()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 250m }, "lowered"));

        PendingToolCall call = decided.Calls[0];
        Assert.Equal("""{"amount":250,"to":"bob"}""", call.ArgumentsToRun.GetRawText());
        Assert.Equal("""{"amount":500,"to":"bob"}""", call.Arguments.GetRawText());
        Assert.NotEqual(call.Fingerprint, call.ApprovedFingerprint);
        Assert.Equal(ApprovalAuditEvent.ApprovedWithEdits, decided.AuditTrail[^1].Event);
        Assert.Equal(call.ApprovedFingerprint, decided.AuditTrail[^1].Fingerprint);
    }

    [Fact]
    public async Task EditedArgumentsThatAPolicyDenies_Forbidden()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.Create(c => c.ToolName == "transfer" && c.GetArguments<TransferArgs>().To == "mallory"
            ? PolicyVerdict.Deny("Mallory is blocked.") : PolicyVerdict.NotApplicable));
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        ApprovalForbiddenException error = await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "mallory", ["amount"] = 500m })));

        Assert.Contains("Mallory is blocked", error.Message, StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Fact]
    public async Task EditedArgumentsThatAPolicyDenies_NameTheEditedArgumentThatCausesIt()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.Create(c => c.ToolName == "transfer" && c.GetArguments<TransferArgs>().To == "mallory"
            ? PolicyVerdict.Deny("Mallory is blocked.") : PolicyVerdict.NotApplicable));
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        // Both arguments edited; only the recipient makes the policies deny (with 'to' set back to bob, $250 is merely held).
        ApprovalForbiddenException error = await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "mallory", ["amount"] = 250m })));

        Assert.Equal(["to"], error.ArgumentNames);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Fact]
    public async Task EditedArgumentsThatAPolicyDenies_EachEditEnoughAlone_NameNone()
    {
        // Either edit alone is denied, so setting one back never lifts the denial: no single field is the cause, and none is named.
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.Create(c => c.ToolName == "transfer" && (c.GetArguments<TransferArgs>().To == "mallory" || c.GetArguments<TransferArgs>().Amount == 666m)
            ? PolicyVerdict.Deny("Blocked.") : PolicyVerdict.NotApplicable));
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        ApprovalForbiddenException error = await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "mallory", ["amount"] = 666m })));

        Assert.Empty(error.ArgumentNames);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Fact]
    public void ForbiddenException_OtherRefusals_NameNoArgument() =>
        Assert.Empty(new ApprovalForbiddenException("a-1", "c-1", "Not yours to decide.").ArgumentNames);

    [Fact]
    public async Task EditedArgumentsThatNeedAStricterApprover_Forbidden()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 10_000, "Very large.", approvers: ["cfo"]));
        (TestBank bank, PendingApproval pending) = await PauseAsync(options);

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 50_000m })));
    }

    [Fact]
    public async Task ApproveRacingReject_ExactlyOneDecisionRecorded()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();

        Task<bool>[] racers = [.. Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            try
            {
                ApprovalDecision decision = i % 2 == 0 ? ApprovalDecision.Approve(TestBank.Alice) : ApprovalDecision.Reject(TestBank.Alice, "no");
                await bank.Approvals.DecideAsync(pending.Id, "c-tr", decision);
                return true;
            }
            catch (ApprovalConflictException)
            {
                return false;
            }
        }))];
        bool[] results = await Task.WhenAll(racers);

        Assert.Equal(1, results.Count(r => r));
        PendingApproval decided = await bank.Approvals.GetAsync(pending.Id);
        Assert.Single(decided.AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
        int winner = Array.IndexOf(results, true);
        Assert.Equal(winner % 2 == 0 ? CallDecisionStatus.Approved : CallDecisionStatus.Rejected, decided.Calls[0].Decision);
    }

    [Fact]
    public async Task Cancel_PendingApproval_NothingCanRunAfterwards()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();

        PendingApproval cancelled = await bank.Approvals.CancelAsync(pending.Id, TestBank.Alice, "user withdrew");

        Assert.Equal(ApprovalStatus.Cancelled, cancelled.Status);
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task List_ByConversationAndStatus_Paged()
    {
        TestBank bank = new();
        for (int i = 0; i < 5; i++)
        {
            bank.Time.Advance(TimeSpan.FromSeconds(1));
            await bank.SendAsync("transfer 500 to bob", streaming: false, bank.ChatOptions(conversationId: i < 3 ? "conv-a" : "conv-b"));
        }

        ApprovalPage firstPage = await bank.Approvals.ListAsync(new StateQuery { ConversationId = "conv-a", Status = ApprovalStatus.Pending, PageSize = 2 });
        ApprovalPage secondPage = await bank.Approvals.ListAsync(new StateQuery { ConversationId = "conv-a", PageSize = 2, ContinuationToken = firstPage.ContinuationToken });

        Assert.Equal(2, firstPage.Approvals.Count);
        Assert.NotNull(firstPage.ContinuationToken);
        Assert.Single(secondPage.Approvals);
        Assert.Null(secondPage.ContinuationToken);
        Assert.All(firstPage.Approvals.Concat(secondPage.Approvals), a => Assert.Equal("conv-a", a.Context.ConversationId));
        Assert.True(firstPage.Approvals[0].CreatedAt > firstPage.Approvals[1].CreatedAt);
        Assert.Equal(2, (await bank.Approvals.ListAsync(new StateQuery { ConversationId = "conv-b" })).Approvals.Count);
    }

    [Fact]
    public async Task List_OneCorruptRecord_IsReportedAndSkipped_TheOthersStillListed_AndExpirySweepGoesOn()
    {
        TestBank bank = new();
        PendingApproval good = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        DateTimeOffset now = bank.Time.GetUtcNow();
        StateEntry corrupt = new("hil_corrupt", "conv-1", ApprovalStatus.Pending, now, now, now, 1, "{\"formatVersion\":1,\"id\":");
        Assert.True(await bank.Store.TryCreateAsync(corrupt));

        ApprovalPage page = await bank.Approvals.ListAsync(new StateQuery { Status = ApprovalStatus.Pending });

        Assert.Equal([good.Id], page.Approvals.Select(a => a.Id));
        Assert.Equal(["hil_corrupt"], page.UnreadableIds);
        await Assert.ThrowsAsync<ApprovalStateFormatException>(() => bank.Approvals.GetAsync("hil_corrupt"));

        // The corrupt record is due; the sweep skips it, leaves it as it is, and still expires the good one when due.
        bank.Time.Advance(good.ExpiresAt - now + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());
        Assert.Equal(ApprovalStatus.Expired, (await bank.Approvals.GetAsync(good.Id)).Status);
        Assert.Equal(corrupt, await bank.Store.GetAsync("hil_corrupt"));
    }
}
