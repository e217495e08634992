namespace BankingConsole.Tests;

/// <summary>Method 2, tool calling (the default mode), driven through standard input with the offline scripted model.</summary>
public sealed class ToolCallingTests
{
    private static readonly Dictionary<string, decimal> s_opening = new() { ["alice"] = 250m, ["bob"] = 250m, ["carol"] = 1000m };

    [Fact]
    public async Task Deposit_RunsAtOnce_NothingPending()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> said = await console.SendAsync("say deposit 20");

        Assert.Empty(Parse.Pending(said));
        Assert.Equal("deposit {\"amount\":20} Deposited $20.00 into carol. Carol now has $1,020.00.", Assert.Single(Parse.Starting(said, "RESULT")));
        Assert.Contains("Deposited $20.00", Parse.Answer(said), StringComparison.Ordinal);
        Assert.Equal("OK say", said[^1]);
        Assert.Equal(1020m, (await console.BalancesAsync())["carol"]);
        Assert.Empty(Parse.Pending(await console.SendAsync("pending")));
        Assert.Equal(0, await console.EndInputAsync());
    }

    [Fact]
    public async Task TransferOf100OrLess_RunsWithoutApproval()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> said = await console.SendAsync("say send $20 to alice");

        Assert.Empty(Parse.Pending(said));
        Assert.Contains("Transferred $20.00 from carol to alice", Parse.Answer(said), StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 270m, ["bob"] = 250m, ["carol"] = 980m }, await console.BalancesAsync());
    }

    [Fact]
    public async Task TransferOver100_Approved_RunsExactlyOnce_WithTheApprovalsIdempotencyKey()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> said = await console.SendAsync("say transfer 500 to bob");
        PendingLine pending = Assert.Single(Parse.Pending(said));
        Assert.Equal(("transfer", "{\"amount\":500,\"to\":\"bob\"}", "Transfers over $100 need a person's approval"), (pending.Tool, pending.Arguments, pending.Reason));
        Assert.Empty(Parse.Starting(said, "RESULT"));
        Assert.Equal(s_opening, await console.BalancesAsync());

        IReadOnlyList<string> approved = await console.SendAsync($"approve {pending.ApprovalId}");

        Assert.Contains($"APPROVED {pending.ApprovalId} {pending.CallId}", approved);
        Assert.Contains("Transferred $500.00 from carol to bob", Parse.Answer(approved), StringComparison.Ordinal);
        Assert.Equal("OK approve", approved[^1]);
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 750m, ["carol"] = 500m }, await console.BalancesAsync());

        // A second approval or resume of the same approval is refused and moves nothing.
        Assert.StartsWith("ERROR ", (await console.SendAsync($"approve {pending.ApprovalId}"))[^1], StringComparison.Ordinal);
        Assert.StartsWith("ERROR ", (await console.SendAsync($"resume {pending.ApprovalId}"))[^1], StringComparison.Ordinal);
        Assert.Equal(500m, (await console.BalancesAsync())["carol"]);
        string ledger = Assert.Single(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));
        Assert.Equal($"1 transfer carol bob 500.00 key={pending.ApprovalId}-0 approval={pending.ApprovalId}", ledger);
    }

    [Fact]
    public async Task TransferOver100_Rejected_NeverRuns_ModelIsToldWhy()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        IReadOnlyList<string> rejected = await console.SendAsync($"reject {pending.ApprovalId} not without a call to carol first");

        Assert.Contains($"REJECTED {pending.ApprovalId} {pending.CallId} reason=not without a call to carol first", rejected);
        Assert.Equal("I did not transfer $500.00 to bob: the approver rejected it (not without a call to carol first).", Parse.Answer(rejected));
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Empty(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));
        Assert.Empty(Parse.Pending(await console.SendAsync("pending")));
    }

    [Fact]
    public async Task TransferLeftPending_SurvivesARestart_ApprovedInTheSecondRun_RunsOnce()
    {
        using TempDataDirectory data = new();
        PendingLine pending;
        await using (ConsoleProcess first = await ConsoleProcess.StartAsync(data.Path))
        {
            pending = Assert.Single(Parse.Pending(await first.SendAsync("say transfer 500 to bob")));
            Assert.Contains($"LATER {pending.ApprovalId}", await first.SendAsync("later"));
            Assert.Equal("OK quit", (await first.SendAsync("quit"))[^1]);
            Assert.Equal(0, await first.EndInputAsync());
        }

        await using (ConsoleProcess second = await ConsoleProcess.StartAsync(data.Path))
        {
            // On start, the second run lists what the first left pending, with the same id, tool and arguments.
            Assert.Equal(pending, Assert.Single(Parse.Pending(second.Startup)));
            Assert.Equal(s_opening, await second.BalancesAsync());

            IReadOnlyList<string> approved = await second.SendAsync($"approve {pending.ApprovalId} {pending.CallId}");

            Assert.Contains("Transferred $500.00 from carol to bob", Parse.Answer(approved), StringComparison.Ordinal);
            Assert.Equal(0, await second.EndInputAsync());
        }

        await using ConsoleProcess third = await ConsoleProcess.StartAsync(data.Path);
        Assert.Empty(Parse.Pending(third.Startup));
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 750m, ["carol"] = 500m }, await third.BalancesAsync());
        Assert.Single(Parse.Starting(await third.SendAsync("ledger"), "LEDGER"));
    }

    [Fact]
    public async Task MixedResponse_OnlyTheLargeTransferAsks_TheWholeBatchRunsAfterApproval()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> said = await console.SendAsync("say what is my balance and transfer 300 to bob and deposit 5");

        PendingLine pending = Assert.Single(Parse.Pending(said));
        Assert.Equal("{\"amount\":300,\"to\":\"bob\"}", pending.Arguments);
        Assert.Equal(s_opening, await console.BalancesAsync()); // nothing of the batch ran, not even the deposit

        IReadOnlyList<string> approved = await console.SendAsync($"approve {pending.ApprovalId}");

        List<string> results = [.. Parse.Starting(approved, "RESULT")];
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.DoesNotContain("denied", r, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(results, r => r.StartsWith("check_balance", StringComparison.Ordinal) && r.Contains("$1,000.00", StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 550m, ["carol"] = 705m }, await console.BalancesAsync());
    }

    [Fact]
    public async Task BalanceQuestion_WithoutNamingAnAccount_RunsAtOnceForTheCustomer()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> said = await console.SendAsync("say what is my balance");

        Assert.Empty(Parse.Pending(said));
        string result = Assert.Single(Parse.Starting(said, "RESULT"));
        Assert.StartsWith("check_balance {}", result, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", result, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("$1,000.00", Parse.Answer(said), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomerAsApprover_IsRefused_NothingRuns()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--approver", "carol"]);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        IReadOnlyList<string> refused = await console.SendAsync($"approve {pending.ApprovalId}");

        Assert.StartsWith("ERROR ", refused[^1], StringComparison.Ordinal);
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Single(Parse.Pending(await console.SendAsync("pending")));
    }
}
