using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests.Conformance;

/// <summary>
/// OWASP AISVS 1.0 C9.2.3-9.2.5 (docs/security.md, "OWASP AISVS C9 conformance"): an approval is bound to the call's
/// parameters, to the requester and tenant it was held for and the conversation it was held in, is used once, and is refused
/// after its deadline.
/// Each test tries to break one binding and checks that nothing runs and nothing is written.
/// </summary>
public sealed class ApprovalBindingConformanceTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    public static TheoryData<string, bool> ContextFieldsAndModes => new()
    {
        { "user", false }, { "user", true },
        { "tenant", false }, { "tenant", true },
    };

    private static async Task<(TestBank Bank, PendingApproval Approved)> ApprovedAsync()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        return (bank, await bank.Approvals.GetAsync(pending.Id)); // with its conversation (a decision returns the approval without it)
    }

    private static async Task<Exception?> ResumeAsync(TestBank bank, string id, ChatOptions options, bool streaming)
    {
        try
        {
            if (!streaming)
            {
                await bank.Approvals.ResumeAsync(id, bank.Client, options);
                return null;
            }

            await foreach (ChatResponseUpdate _ in bank.Approvals.ResumeStreamingAsync(id, bank.Client, options))
            {
            }

            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    private static ChatOptions OptionsWith(TestBank bank, CallerContext context) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.Deposit, bank.DeleteAccount) }.WithCallerContext(context);

    [Theory]
    [MemberData(nameof(ContextFieldsAndModes))]
    public async Task Resume_ForAnotherUserOrTenant_Forbidden_NothingRunsNothingWritten_TheRightContextStillRuns(string field, bool streaming)
    {
        (TestBank bank, PendingApproval approved) = await ApprovedAsync();
        CallerContext held = approved.Context;
        Assert.Equal(("carol", "t1", "conv-1"), (held.UserId, held.TenantId, held.ConversationId));
        CallerContext other = field == "user" ? held with { UserId = "mallory" } : held with { TenantId = "t2" };
        int auditBefore = approved.AuditTrail.Count;

        Exception? error = await ResumeAsync(bank, approved.Id, OptionsWith(bank, other), streaming);

        ApprovalForbiddenException forbidden = Assert.IsType<ApprovalForbiddenException>(error);
        Assert.Equal(approved.Id, forbidden.ApprovalId);
        Assert.Contains("another " + field, forbidden.Message, StringComparison.Ordinal);
        Assert.Empty(bank.Transfers);
        PendingApproval after = await bank.Approvals.GetAsync(approved.Id);
        Assert.Equal(ApprovalStatus.Decided, after.Status);
        Assert.Null(after.ClaimedBy);
        Assert.Equal(auditBefore, after.AuditTrail.Count);

        // The approval is not spent by the refusal: its own context runs it, once.
        Assert.Null(await ResumeAsync(bank, approved.Id, OptionsWith(bank, held), streaming));
        Assert.Equal(("bob", 500m), (bank.Transfers.Single().To, bank.Transfers.Single().Amount));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Resume_NamingAnotherConversation_ContinuesTheHeldOne_WithItsHistoryAndContext(bool streaming)
    {
        // The same user in a new session (the BankingConsole after a restart): the held conversation is the one continued, and a
        // call the model makes next is held under the held context, not the one the options name.
        (TestBank bank, PendingApproval approved) = await ApprovedAsync();
        Func<IReadOnlyList<ChatMessage>, ChatResponse> script = bank.Model.Respond;
        bank.Model.Respond = messages => messages[^1].Role == ChatRole.Tool && messages.Count(m => m.Role == ChatRole.Tool) == 1
            ? ScriptedChatClient.Calls(TestBank.TransferCall("c-2", "eve", 300m))
            : script(messages);

        Exception? error = await ResumeAsync(bank, approved.Id, OptionsWith(bank, approved.Context with { ConversationId = "conv-new-session" }), streaming);

        PendingApproval next = Assert.IsType<PendingApprovalException>(error).Approval;
        Assert.Equal(approved.Context, next.Context);
        Assert.Single(bank.Transfers);
        IReadOnlyList<ChatMessage> sent = bank.Model.Requests[^1];
        Assert.Equal(approved.Messages.Count + 1, sent.Count);
        Assert.Equal(approved.Messages[0].Text, sent[0].Text);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Resume_WithAPartialContext_IsAnotherContext_Forbidden(bool streaming)
    {
        // A context that leaves the tenant out is not the held one (tenant "t1"): a null id is a value, never a wildcard.
        (TestBank bank, PendingApproval approved) = await ApprovedAsync();

        Exception? error = await ResumeAsync(bank, approved.Id, OptionsWith(bank, new CallerContext { UserId = "carol", ConversationId = "conv-1" }), streaming);

        Assert.Contains("another tenant", Assert.IsType<ApprovalForbiddenException>(error).Message, StringComparison.Ordinal);
        Assert.Empty(bank.Transfers);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Resume_WithoutAContext_RunsOnceUnderTheHeldOne(bool streaming)
    {
        (TestBank bank, PendingApproval approved) = await ApprovedAsync();

        Exception? error = await ResumeAsync(bank, approved.Id, new ChatOptions { Tools = ApprovalService.ProtectTools(bank.Transfer) }, streaming);

        Assert.Null(error);
        Assert.Single(bank.Transfers);
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.GetAsync(approved.Id)).Status);
    }

    [Fact]
    public async Task Resume_WithSomethingElseUnderTheContextKey_ArgumentException_NothingRuns()
    {
        (TestBank bank, PendingApproval approved) = await ApprovedAsync();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(bank.Transfer) };
        (options.AdditionalProperties ??= [])[ChatOptionsApprovalExtensions.CallerContextKey] = "carol";

        ArgumentException refused = await Assert.ThrowsAsync<ArgumentException>(() => bank.Approvals.ResumeAsync(approved.Id, bank.Client, options));

        Assert.Contains("not a CallerContext", refused.Message, StringComparison.Ordinal);
        Assert.Empty(bank.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(approved.Id)).Status);
    }

    [Fact]
    public async Task Decision_ReplayedOnTheSameApprovalAfterItRan_ConflictNothingRunsAgain()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        ToolApprovalResponseContent response = ApprovalService.CreateApprovalRequests(pending)[0].CreateResponse(true);
        await bank.Approvals.ApplyApprovalResponseAsync(response, TestBank.Alice);
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        // The same response again (replayed), by the same or another approver, and the same resume again: single use.
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ApplyApprovalResponseAsync(response, TestBank.Alice));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ApplyApprovalResponseAsync(pending.Id, response, new Approver("dave", ["approver"])));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        Assert.Single(bank.Transfers);
        Assert.Single((await bank.Approvals.GetAsync(pending.Id)).AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
    }

    [Fact]
    public async Task Decision_ForApprovalA_ReplayedOnApprovalB_WithDifferentArguments_Refused_BStaysPending()
    {
        TestBank bank = new();
        PendingApproval a = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        PendingApproval b = (await bank.SendAsync("transfer 900 to mallory", false)).Pending;
        ToolApprovalResponseContent forA = ApprovalService.CreateApprovalRequests(a)[0].CreateResponse(true);

        // Addressed to B by id, and re-addressed with B's request id but A's call (500 to bob): both refused as forged.
        UnmatchedApprovalResponseException byId = await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() =>
            bank.Approvals.ApplyApprovalResponseAsync(b.Id, forA, TestBank.Alice));
        ToolApprovalResponseContent readdressed = new(ApprovalService.CreateApprovalRequests(b)[0].RequestId, true, forA.ToolCall);
        UnmatchedApprovalResponseException byRequestId = await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() =>
            bank.Approvals.ApplyApprovalResponseAsync(readdressed, TestBank.Alice));

        Assert.Equal(UnmatchedApprovalResponseKind.Forged, byId.Kind);
        Assert.Equal(UnmatchedApprovalResponseKind.Forged, byRequestId.Kind);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(a.Id)).Status);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(b.Id)).Status);
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task Decision_AfterTheDeadline_Expired_ThenResumeRunsNothing()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        ToolApprovalResponseContent response = ApprovalService.CreateApprovalRequests(pending)[0].CreateResponse(true);
        bank.Time.Advance(pending.ExpiresAt - bank.Time.GetUtcNow());

        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.ApplyApprovalResponseAsync(response, TestBank.Alice));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Empty(bank.Transfers);
        PendingApproval closed = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(CallDecisionStatus.Expired, closed.Calls.Single().Decision);
        Assert.Equal(CallExecutionStatus.NotRun, closed.Calls.Single().Execution);
    }
}
