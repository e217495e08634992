namespace BankingConsole.Tests;

/// <summary>Bad input gets a clear message and changes nothing: no money moves, nothing waits for approval.</summary>
public sealed class BadInputTests
{
    private static readonly Dictionary<string, decimal> s_opening = new() { ["alice"] = 250m, ["bob"] = 250m, ["carol"] = 1000m };

    [Theory]
    [InlineData("tools", "say transfer 50 to zed", "There is no account 'zed'. Accounts: alice, bob, carol.")]
    [InlineData("tools", "say transfer 500 to zed", "There is no account 'zed'.")]
    [InlineData("tools", "say transfer -5 to bob", "The amount must be more than zero")]
    [InlineData("tools", "say deposit -3", "The amount must be more than zero")]
    [InlineData("tools", "say deposit 0.001", "The amount must be in whole cents")]
    [InlineData("tools", "say transfer 5000 to bob", "carol has only $1,000.00")]
    [InlineData("tools", "say what is zed's balance", "There is no account 'zed'.")]
    [InlineData("router", "say transfer 50 to zed", "There is no account 'zed'.")]
    [InlineData("router", "say transfer -500 to bob", "The amount must be more than zero")]
    [InlineData("router", "say transfer 5000 to bob", "carol has only $1,000.00")]
    public async Task InvalidRequest_ClearAnswer_NothingChanges(string mode, string command, string message)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--mode", mode]);

        IReadOnlyList<string> said = await console.SendAsync(command);

        Assert.Equal("OK say", said[^1]);
        Assert.Contains(message, Parse.Answer(said), StringComparison.Ordinal);
        Assert.Empty(Parse.Pending(said));
        await AssertNothingChangedAsync(console);
    }

    [Theory]
    [InlineData("transfer 500 to bob", "Unknown command 'transfer'")]
    [InlineData("frobnicate", "Unknown command 'frobnicate'")]
    [InlineData("say", "say needs a request")]
    [InlineData("approve", "approve needs an approval id")]
    [InlineData("approve apr_doesnotexist", "No approval 'apr_doesnotexist' exists.")]
    [InlineData("approve a b c", "No approval 'a' exists.")]
    [InlineData("reject", "reject needs an approval id and a reason")]
    [InlineData("resume", "resume needs one approval id")]
    [InlineData("later", "Nothing is waiting to be left for later.")]
    public async Task MalformedCommand_Error_NothingChanges(string command, string message)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> answer = await console.SendAsync(command);

        string error = Assert.Single(answer);
        Assert.StartsWith("ERROR ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        await AssertNothingChangedAsync(console);
    }

    [Fact]
    public async Task RejectWithoutAReason_Refused_TransferStaysPending()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        Assert.Equal("ERROR reject needs a reason, which the model is told: reject <id> [callId] <reason>", Assert.Single(await console.SendAsync($"reject {pending.ApprovalId}")));
        Assert.StartsWith("ERROR Approval ", Assert.Single(await console.SendAsync($"approve {pending.ApprovalId} call_nope")), StringComparison.Ordinal);
        Assert.StartsWith("ERROR Approval ", Assert.Single(await console.SendAsync($"resume {pending.ApprovalId}")), StringComparison.Ordinal);

        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Equal(pending, Assert.Single(Parse.Pending(await console.SendAsync("pending"))));
    }

    [Fact]
    public async Task UnknownPhrasing_ScriptedModelSaysWhatItUnderstands()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> said = await console.SendAsync("say please buy me a boat");

        Assert.Contains("scripted stand-in model", Parse.Answer(said), StringComparison.Ordinal);
        await AssertNothingChangedAsync(console);
    }

    private static async Task AssertNothingChangedAsync(ConsoleProcess console)
    {
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Empty(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));
        Assert.Empty(Parse.Pending(await console.SendAsync("pending")));
    }
}
