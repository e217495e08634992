using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>The gate's verdicts on calls: taken by the one invocation they are for, none where nothing would take them, none kept for ever.</summary>
public sealed class GateVerdictTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AllowedCall_PassedAgainWithAnApprovalResponse_DoesNotRunASecondTime(bool streaming)
    {
        TestBank bank = new();
        Outcome first = await bank.SendAsync("transfer 50 to bob", streaming);
        Assert.Null(first.Error);
        Assert.Single(bank.Transfers);
        FunctionCallContent allowed = first.Response!.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();

        // The very call object the gate allowed, sent back in an approval response: function invocation would run it again.
        ToolApprovalRequestContent request = new("replay-1", allowed);
        List<ChatMessage> replay = [new(ChatRole.User, "transfer 50 to bob"), .. first.Response.Messages,
            new(ChatRole.Assistant, [request]), new(ChatRole.User, [request.CreateResponse(true)])];
        await Outcome.CaptureAsync(bank.Client, replay, bank.ChatOptions(), streaming);

        Assert.Single(bank.Transfers);
        Assert.Equal(950m, bank.Balance);
        Assert.False(GateProtectedFunction.HasVerdict(allowed));
    }

    [Fact]
    public async Task AllowedCallOfAnUnprotectedTool_LeavesNoVerdictBehind()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.RequireProtectedTools = false;
        TestBank bank = new(options);
        ChatOptions unprotected = new ChatOptions { Tools = [bank.CheckBalance] }.WithCallerContext(new CallerContext { ConversationId = "conv-1" });

        Outcome outcome = await bank.SendAsync("balance", streaming: false, unprotected);

        Assert.Null(outcome.Error);
        Assert.Equal(1, bank.BalanceChecks);
        FunctionCallContent call = outcome.Response!.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.False(GateProtectedFunction.HasVerdict(call)); // nothing would have taken it
    }

    [Fact]
    public void NeedsVerdict_OnlyWhereAProtectedToolOrNoToolOfThatNameWouldRunTheCall()
    {
        TestBank bank = new();
        FunctionCallContent balance = new("c-1", "check_balance");

        Assert.True(GateProtectedFunction.NeedsVerdict(bank.ChatOptions(), balance));
        Assert.False(GateProtectedFunction.NeedsVerdict(new ChatOptions { Tools = [bank.CheckBalance] }, balance));
        Assert.True(GateProtectedFunction.NeedsVerdict(new ChatOptions { Tools = [bank.Deposit] }, balance)); // may be an additional tool
        Assert.True(GateProtectedFunction.NeedsVerdict(null, balance));
    }

    [Fact]
    public void Sweep_RemovesVerdictsNobodyTookInTheirLifetime_AndKeepsRecentOnes()
    {
        long now = Environment.TickCount64;
        FunctionCallContent forgotten = new("c-old", "check_balance");
        FunctionCallContent recent = new("c-new", "check_balance");
        GateProtectedFunction.Give(forgotten, null, now - (long)(2 * GateProtectedFunction.VerdictLifetime.TotalMilliseconds));
        GateProtectedFunction.Give(recent, null, now);

        GateProtectedFunction.Sweep(now - (long)GateProtectedFunction.VerdictLifetime.TotalMilliseconds);

        Assert.False(GateProtectedFunction.HasVerdict(forgotten));
        Assert.True(GateProtectedFunction.HasVerdict(recent)); // (a sweep that would remove it would remove other tests' verdicts too)
    }
}
