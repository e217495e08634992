namespace BankingConsole.Tests;

/// <summary>The retry-loop guard at the console: a transfer the teller rejected, asked for again, is answered with that rejection.</summary>
public sealed class RetryGuardTests
{
    private const string Rejection = "Bob's account is under review";

    [Theory]
    [InlineData("tools")]
    [InlineData("router")]
    public async Task Say_RejectedTransferAgain_AnsweredWithTheRejection_NobodyAsked_ThirdTimeStopped(string mode)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path, ["--mode", mode]);
        string rejected = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 400 to bob"))).ApprovalId;
        Assert.Equal("OK reject", (await console.SendAsync($"reject {rejected} {Rejection}"))[^1]);

        IReadOnlyList<string> again = await console.SendAsync("say transfer 400.00 to bob");

        Assert.Empty(Parse.Pending(again));
        string result = Assert.Single(Parse.Starting(again, "RESULT"));
        Assert.StartsWith("transfer {", result);
        Assert.Contains("400.00", result, StringComparison.Ordinal);
        Assert.Contains("A person ('teller') already rejected this same call", result, StringComparison.Ordinal);
        Assert.EndsWith(Rejection, result);
        Assert.Contains("repeats-answered=1 repeats-stopped=0", Assert.Single(Parse.Starting(await console.SendAsync("report"), "REPORT"), l => l.StartsWith("total ", StringComparison.Ordinal)));

        Assert.Single(Parse.Starting(await console.SendAsync("say transfer 400 to bob"), "RESULT"));
        IReadOnlyList<string> third = await console.SendAsync("say transfer 400 to bob");
        Assert.StartsWith($"{rejected} ", Assert.Single(Parse.Starting(third, "STOPPED")));
        Assert.Empty(Parse.Starting(third, "RESULT"));
        Assert.Empty(Parse.Pending(await console.SendAsync("pending")));
    }
}
