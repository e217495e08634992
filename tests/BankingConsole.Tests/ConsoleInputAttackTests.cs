namespace BankingConsole.Tests;

/// <summary>Hostile or careless input on standard input: odd amounts, stray decisions, restarts, very long lines.</summary>
public sealed class ConsoleInputAttackTests
{
    private static readonly Dictionary<string, decimal> s_opening = new() { ["alice"] = 250m, ["bob"] = 250m, ["carol"] = 1000m };

    [Theory]
    [InlineData("tools", "1e3")]
    [InlineData("tools", "0x10")]
    [InlineData("tools", "-0")]
    [InlineData("tools", "--5")]
    [InlineData("tools", "$-5")]
    [InlineData("tools", "1,000.5")]
    [InlineData("tools", "\u0661\u0662\u0663")] // Arabic-Indic digits: \d matches them, decimal.Parse does not
    [InlineData("tools", "NaN")]
    [InlineData("tools", "Infinity")]
    [InlineData("tools", "99999999999999999999999999999999999")]
    [InlineData("tools", "1000000.01")]
    [InlineData("tools", ".")]
    [InlineData("router", "-0")]
    [InlineData("router", "\u0661\u0662\u0663")]
    [InlineData("router", "99999999999999999999999999999999999")]
    public async Task OddAmount_ClearAnswer_NothingMovesNothingPending(string mode, string amount)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--mode", mode]);

        IReadOnlyList<string> said = await console.SendAsync($"say transfer {amount} to bob");

        Assert.Equal("OK say", said[^1]);
        Assert.NotEmpty(Parse.Answer(said));
        Assert.Empty(Parse.Pending(said));
        await AssertNothingChangedAsync(console);
    }

    [Fact]
    public async Task ApproveTwice_SecondIsAnError_MoneyMovesOnce()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        Assert.Equal("OK approve", (await console.SendAsync($"approve {pending.ApprovalId}"))[^1]);
        IReadOnlyList<string> again = await console.SendAsync($"approve {pending.ApprovalId}");
        IReadOnlyList<string> resumeAgain = await console.SendAsync($"resume {pending.ApprovalId}");
        IReadOnlyList<string> rejectLate = await console.SendAsync($"reject {pending.ApprovalId} changed my mind");

        Assert.StartsWith("ERROR ", Assert.Single(again), StringComparison.Ordinal);
        Assert.StartsWith("ERROR ", Assert.Single(resumeAgain), StringComparison.Ordinal);
        Assert.StartsWith("ERROR ", Assert.Single(rejectLate), StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 750m, ["carol"] = 500m }, await console.BalancesAsync());
        Assert.Single(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));
    }

    [Fact]
    public async Task ApproveACallThatWasNeverPending_Error_NothingMoves()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));
        Assert.Equal("OK reject", (await console.SendAsync($"reject {pending.ApprovalId} no"))[^1]);

        IReadOnlyList<string> approve = await console.SendAsync($"approve {pending.ApprovalId} {pending.CallId}");

        Assert.StartsWith("ERROR ", Assert.Single(approve), StringComparison.Ordinal);
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Empty(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));
    }

    [Fact]
    public async Task DecideAfterARestart_RunsOnceWithTheStoredArguments()
    {
        using TempDataDirectory data = new();
        PendingLine pending;
        await using (ConsoleProcess first = await ConsoleProcess.StartAsync(data.Path))
        {
            pending = Assert.Single(Parse.Pending(await first.SendAsync("say transfer 500 to bob")));
            Assert.Equal(0, await first.EndInputAsync());
        }

        await using ConsoleProcess second = await ConsoleProcess.StartAsync(data.Path);
        Assert.Equal(pending, Assert.Single(Parse.Pending(await second.SendAsync("pending"))));
        Assert.Equal("OK approve", (await second.SendAsync($"approve {pending.ApprovalId}"))[^1]);
        Assert.StartsWith("ERROR ", Assert.Single(await second.SendAsync($"approve {pending.ApprovalId}")), StringComparison.Ordinal);

        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 750m, ["carol"] = 500m }, await second.BalancesAsync());
        Assert.Single(Parse.Starting(await second.SendAsync("ledger"), "LEDGER"));
    }

    [Fact]
    public async Task VeryLongLines_ClearAnswerOrError_NothingChanges_ConsoleStillWorks()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        string padding = new('9', 200_000);

        IReadOnlyList<string> say = await console.SendAsync($"say transfer {padding} to bob");
        IReadOnlyList<string> approve = await console.SendAsync($"approve apr_{padding}");

        Assert.Equal("OK say", say[^1]);
        Assert.Empty(Parse.Pending(say));
        Assert.StartsWith("ERROR ", Assert.Single(approve), StringComparison.Ordinal);
        await AssertNothingChangedAsync(console);
    }

    [Theory]
    [InlineData("approve apr_x' OR '1'='1")]
    [InlineData("approve %")]
    [InlineData("resume \u0000")]
    [InlineData("reject apr_\u202enope because")]
    public async Task HostileApprovalIds_Error_NothingChanges(string command)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        Assert.StartsWith("ERROR ", Assert.Single(await console.SendAsync(command)), StringComparison.Ordinal);

        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Equal(pending, Assert.Single(Parse.Pending(await console.SendAsync("pending"))));
    }

    [Fact]
    public async Task RejectNamingOneCallButNoReason_Refused_NoCallDecided()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        List<PendingLine> pending = Parse.Pending(await console.SendAsync("say transfer 200 to bob and transfer 300 to alice"));
        Assert.Equal(2, pending.Count);
        Assert.Equal(pending[0].ApprovalId, pending[1].ApprovalId);

        IReadOnlyList<string> reject = await console.SendAsync($"reject {pending[0].ApprovalId} {pending[0].CallId}");

        Assert.StartsWith("ERROR ", Assert.Single(reject), StringComparison.Ordinal);
        Assert.Equal(pending, Parse.Pending(await console.SendAsync("pending")));
        Assert.Equal(s_opening, await console.BalancesAsync());
    }

    private static async Task AssertNothingChangedAsync(ConsoleProcess console)
    {
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Empty(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));
        Assert.Empty(Parse.Pending(await console.SendAsync("pending")));
    }
}
