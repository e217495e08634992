using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

public sealed class PolicyTests
{
    private static PolicyEvaluationContext Call(string tool, object arguments, CallerContext? context = null) =>
        new(tool, "c1", null, JsonSerializer.SerializeToElement(arguments), context ?? CallerContext.Empty, []);

    private static ValueTask<PolicyVerdict> EvaluateAsync(ApprovalOptions options, PolicyEvaluationContext call) =>
        new ApprovalService(new InMemoryStateStore(), options).Evaluator.EvaluateAsync(call, CancellationToken.None);

    [Fact]
    public async Task DenyBeatsRequireBeatsAllow_RegardlessOfOrder()
    {
        IApprovalPolicy allow = ApprovalPolicy.Allow("transfer");
        IApprovalPolicy require = ApprovalPolicy.RequireApproval("transfer", "needs a person");
        IApprovalPolicy deny = ApprovalPolicy.Deny("transfer", "blocked");

        foreach (IApprovalPolicy[] order in new[] { new[] { allow, require, deny }, [deny, require, allow], [require, allow, deny] })
        {
            ApprovalOptions all = new();
            ApprovalOptions allowAndRequire = new();
            foreach (IApprovalPolicy policy in order)
            {
                all.Policies.Add(policy);
                if (policy != deny)
                {
                    allowAndRequire.Policies.Add(policy);
                }
            }

            Assert.Equal(PolicyVerdictKind.Deny, (await EvaluateAsync(all, Call("transfer", new { }))).Kind);
            Assert.Equal(PolicyVerdictKind.RequireApproval, (await EvaluateAsync(allowAndRequire, Call("transfer", new { }))).Kind);
        }

        Assert.Equal(PolicyVerdictKind.Allow, (await EvaluateAsync(new ApprovalOptions { Policies = { allow } }, Call("transfer", new { }))).Kind);
    }

    [Fact]
    public async Task Unmatched_UsesTheConfiguredDefault()
    {
        Assert.Equal(PolicyVerdictKind.RequireApproval, (await EvaluateAsync(new ApprovalOptions(), Call("x", new { }))).Kind);
        Assert.Equal(PolicyVerdictKind.Allow, (await EvaluateAsync(new ApprovalOptions { UnmatchedToolVerdict = PolicyVerdict.Allow }, Call("x", new { }))).Kind);
        Assert.Equal(PolicyVerdictKind.Deny, (await EvaluateAsync(new ApprovalOptions { UnmatchedToolVerdict = PolicyVerdict.Deny("unknown tool") }, Call("x", new { }))).Kind);
        Assert.Throws<ArgumentException>(() => new ApprovalOptions { UnmatchedToolVerdict = PolicyVerdict.NotApplicable });
    }

    [Theory]
    [InlineData(100.00, PolicyVerdictKind.Allow)]
    [InlineData(100.01, PolicyVerdictKind.RequireApproval)]
    [InlineData(50000, PolicyVerdictKind.RequireApproval)]
    public async Task TypedArgumentPredicate_DecidesOnTheRecord(double amount, PolicyVerdictKind expected)
    {
        ApprovalOptions options = new() { Policies = { ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "over $100") } };
        Assert.Equal(expected, (await EvaluateAsync(options, Call("transfer", new { to = "bob", amount = (decimal)amount }))).Kind);
    }

    [Fact]
    public async Task TypedArgumentPredicate_AmountAsString_StillRead()
    {
        ApprovalOptions options = new() { Policies = { ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "over $100") } };
        Assert.Equal(PolicyVerdictKind.RequireApproval, (await EvaluateAsync(options, Call("transfer", new { to = "bob", amount = "500" }))).Kind);
    }

    [Fact]
    public async Task TypedArgumentPredicate_UnreadableArguments_FailClosed()
    {
        ApprovalOptions options = new() { Policies = { ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "over $100") } };

        PolicyVerdict decision = await EvaluateAsync(options, Call("transfer", new { to = "bob", amount = new[] { 1, 2 } }));

        Assert.Equal(PolicyVerdictKind.RequireApproval, decision.Kind);
        Assert.Contains("could not be checked", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LambdaPolicy_SeesContextAndHistory()
    {
        CallerContext context = new() { UserId = "intern", TenantId = "acme", ConversationId = "c9" };
        ApprovalOptions options = new()
        {
            Policies =
            {
                ApprovalPolicy.Create(call => call.Context.UserId == "intern" ? PolicyVerdict.RequireApproval("Interns need sign-off.") : PolicyVerdict.Allow),
            },
        };

        Assert.Equal(PolicyVerdictKind.RequireApproval, (await EvaluateAsync(options, Call("anything", new { }, context))).Kind);
        Assert.Equal(PolicyVerdictKind.Allow, (await EvaluateAsync(options, Call("anything", new { }, context with { UserId = "lead" }))).Kind);
    }

    [Fact]
    public async Task SeveralRequirements_ReasonsJoined_EarliestDeadline_ApproversMustSatisfyEvery()
    {
        ApprovalOptions options = new()
        {
            Policies =
            {
                ApprovalPolicy.RequireApproval("transfer", "Money moves.", approvers: ["treasury", "cfo"], expiresAfter: TimeSpan.FromDays(2)),
                ApprovalPolicy.RequireApproval("transfer", "New payee.", approvers: ["cfo", "compliance"], expiresAfter: TimeSpan.FromHours(4)),
            },
        };

        PolicyVerdict decision = await EvaluateAsync(options, Call("transfer", new { }));

        Assert.Equal("Money moves. New payee.", decision.Reason);
        Assert.Equal(TimeSpan.FromHours(4), decision.ExpiresAfter);
        Assert.Equal(["cfo"], decision.Approvers);
    }

    [Fact]
    public async Task SeveralRequirements_NoCommonApprover_NobodyCanDecide_OnlyCancelOrExpiry()
    {
        ApprovalOptions options = new()
        {
            Policies =
            {
                ApprovalPolicy.RequireApproval("transfer", "A.", approvers: ["treasury"]),
                ApprovalPolicy.RequireApproval("transfer", "B.", approvers: ["compliance"]),
            },
        };
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(new Approver("x", ["treasury", "compliance"]))));
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(new Approver("x", ["treasury", "compliance"]), "conflicting rules")));
        Assert.Equal(ApprovalStatus.Cancelled, (await bank.Approvals.CancelAsync(pending.Id, TestBank.Alice, "conflicting rules")).Status);
    }

    [Fact]
    public void BuiltIns_ValidateTheirArguments()
    {
        Assert.Throws<ArgumentException>(() => ApprovalPolicy.Allow(""));
        Assert.Throws<ArgumentException>(() => ApprovalPolicy.RequireApproval("t", " "));
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyVerdict.RequireApproval("r", expiresAfter: TimeSpan.Zero));
        Assert.Throws<ArgumentNullException>(() => ApprovalPolicy.Create((Func<PolicyEvaluationContext, PolicyVerdict>)null!));
    }

    [Fact]
    public async Task PoliciesRegisteredInDependencyInjection_AreEvaluatedWithTheConfiguredOnes()
    {
        ServiceCollection services = new();
        services.AddSingleton(ApprovalPolicy.Deny("delete_account", "never"));
        services.AddHumanInLoop(o => o.Policies.Add(ApprovalPolicy.Allow("check_balance", "delete_account")));
        services.AddChatClient(_ => new ScriptedChatClient(TestBank.DefaultScript)).UseFunctionInvocation().UseApprovalGate();
        using ServiceProvider provider = services.BuildServiceProvider();

        IChatClient client = provider.GetRequiredService<IChatClient>();
        ApprovalService approvals = provider.GetRequiredService<ApprovalService>();
        TestBank bank = new();
        ChatResponse response = await client.GetResponseAsync("delete it", bank.ChatOptions());

        Assert.IsType<InMemoryStateStore>(approvals.Store);
        Assert.Equal(0, bank.Deletes);
        Assert.Equal(1, bank.BalanceChecks);
        Assert.Contains("never", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void UseApprovalGate_WithoutServiceOrRegistration_ExplainsWhatToDo()
    {
        IChatClient inner = new ScriptedChatClient(TestBank.DefaultScript);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => new ChatClientBuilder(inner).UseFunctionInvocation().UseApprovalGate().Build());
        Assert.Contains("AddHumanInLoop", error.Message, StringComparison.Ordinal);
    }
}
