namespace BankingConsole.Tests;

/// <summary>Method 1, router (<c>--mode router</c>): the model returns a typed plan; the same policies gate each action.</summary>
public sealed class RouterTests
{
    [Fact]
    public async Task MixedPlan_AllowedActionsRunAtOnce_InvalidRefused_LargeTransferWaits_ThenApprovedOnce()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--mode", "router"]);
        Assert.StartsWith("READY mode=router model=scripted ", console.Startup[0], StringComparison.Ordinal);

        IReadOnlyList<string> said = await console.SendAsync("say deposit 20 and send $30 to alice and transfer 500 to bob and transfer 5 to zed");

        Assert.Equal(
            [
                "deposit {\"amount\":20} Deposited $20.00 into carol. Carol now has $1,020.00.",
                "transfer {\"amount\":30,\"to\":\"alice\"} Transferred $30.00 from carol to alice. Carol now has $990.00, alice has $280.00.",
                "transfer {\"amount\":5,\"to\":\"zed\"} Refused by the bank's rules: There is no account 'zed'. Accounts: alice, bob, carol.",
            ],
            Parse.Starting(said, "RESULT"));
        PendingLine pending = Assert.Single(Parse.Pending(said));
        Assert.Equal(("transfer", "{\"amount\":500,\"to\":\"bob\"}", "action-3"), (pending.Tool, pending.Arguments, pending.CallId));
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 280m, ["bob"] = 250m, ["carol"] = 990m }, await console.BalancesAsync());

        IReadOnlyList<string> approved = await console.SendAsync($"approve {pending.ApprovalId}");

        Assert.Equal("transfer {\"amount\":500,\"to\":\"bob\"} Transferred $500.00 from carol to bob. Carol now has $490.00, bob has $750.00.",
            Assert.Single(Parse.Starting(approved, "RESULT")));
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 280m, ["bob"] = 750m, ["carol"] = 490m }, await console.BalancesAsync());
        Assert.StartsWith("ERROR ", (await console.SendAsync($"resume {pending.ApprovalId}"))[^1], StringComparison.Ordinal);
        Assert.Equal(490m, (await console.BalancesAsync())["carol"]);
        Assert.Equal(3, Parse.Starting(await console.SendAsync("ledger"), "LEDGER").Count);
    }

    [Fact]
    public async Task PlanLeftPending_RejectedAfterARestart_NeverRuns()
    {
        using TempDataDirectory data = new();
        PendingLine pending;
        await using (ConsoleProcess first = await ConsoleProcess.StartAsync(data.Path, ["--mode", "router"]))
        {
            pending = Assert.Single(Parse.Pending(await first.SendAsync("say transfer 500 to bob")));
            Assert.Equal(0, await first.EndInputAsync());
        }

        // The approval remembers it came from a plan, so even a console in tool-calling mode resumes it the right way.
        await using ConsoleProcess second = await ConsoleProcess.StartAsync(data.Path);
        Assert.Equal(pending, Assert.Single(Parse.Pending(second.Startup)));

        IReadOnlyList<string> rejected = await second.SendAsync($"reject {pending.ApprovalId} {pending.CallId} bob is not a known payee");

        Assert.Equal("transfer {\"amount\":500,\"to\":\"bob\"} Rejected by the approver: bob is not a known payee", Assert.Single(Parse.Starting(rejected, "RESULT")));
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 250m, ["carol"] = 1000m }, await second.BalancesAsync());
    }
}
