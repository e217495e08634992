namespace BankingConsole.Tests;

/// <summary><c>respond</c>: the teller answers a held call in place of the tool, in both methods; the tool never runs.</summary>
public sealed class RespondTests
{
    private const string Answer = "Done by hand at the branch (slip BR-7); nothing more to send.";

    private static readonly Dictionary<string, decimal> s_opening = new() { ["alice"] = 250m, ["bob"] = 250m, ["carol"] = 1000m };

    [Theory]
    [InlineData("tools")]
    [InlineData("router")]
    public async Task Respond_TheModelReceivesTheTellersAnswer_NothingMoves(string mode)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--mode", mode]);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        IReadOnlyList<string> responded = await console.SendAsync($"respond last {pending.CallId} {Answer}");

        Assert.Contains($"RESPONDED {pending.ApprovalId} {pending.CallId}", responded);
        string result = Assert.Single(Parse.Starting(responded, "RESULT"));
        Assert.StartsWith("transfer {\"amount\":500,\"to\":\"bob\"} ", result, StringComparison.Ordinal);
        Assert.EndsWith(Answer, result, StringComparison.Ordinal);
        Assert.Equal(Answer, Parse.Answer(responded));
        Assert.Equal("OK respond", responded[^1]);
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Empty(Parse.Starting(await console.SendAsync("ledger"), "LEDGER"));

        // Answered is decided: a second answer, an approval or a resume moves nothing.
        Assert.StartsWith("ERROR ", (await console.SendAsync($"approve {pending.ApprovalId}"))[^1], StringComparison.Ordinal);
        Assert.StartsWith("ERROR ", (await console.SendAsync($"respond {pending.ApprovalId} again"))[^1], StringComparison.Ordinal);
        Assert.StartsWith("ERROR ", (await console.SendAsync($"resume {pending.ApprovalId}"))[^1], StringComparison.Ordinal);
        Assert.Equal(s_opening, await console.BalancesAsync());
        Assert.Contains(Parse.Starting(await console.SendAsync("report"), "REPORT"),
            l => l.StartsWith("tool=transfer seen=1 allowed=0 denied=0 by-grant=0 to-person=1 (approved=0 edited=0 rejected=0 responded=1 expired=0 awaiting=0)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("respond", "respond needs an approval id")]
    [InlineData("respond last", "respond needs the answer")]
    [InlineData("respond last c-0", "respond needs the answer")]
    public async Task Respond_WithoutAnAnswer_ErrorAndNothingDecided(string command, string error)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        PendingLine pending = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 500 to bob")));

        IReadOnlyList<string> output = await console.SendAsync(command.Replace("c-0", pending.CallId, StringComparison.Ordinal));

        Assert.StartsWith("ERROR " + error, Assert.Single(output), StringComparison.Ordinal);
        Assert.Equal(pending.ApprovalId, Assert.Single(Parse.Pending(await console.SendAsync("pending"))).ApprovalId);
        Assert.Equal(s_opening, await console.BalancesAsync());
    }
}
