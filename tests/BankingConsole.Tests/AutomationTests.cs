namespace BankingConsole.Tests;

/// <summary>Gradual automation at the console: the automation report, replays of candidate rules and standing grants, from the stored records.</summary>
public sealed class AutomationTests
{
    private const string Rejection = "Carol never asked for this; her phone may be compromised";

    [Fact]
    public async Task Report_AfterApprovalsAndARejection_CountsWhatPeopleDecided()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        await DecideThreeTransfersAsync(console);
        await console.SendAsync("say deposit 20");

        IReadOnlyList<string> report = await console.SendAsync("report");

        Assert.Equal("OK report", report[^1]);
        Assert.StartsWith(
            "total seen=4 allowed=1 denied=0 by-grant=0 to-person=3 (approved=2 edited=0 rejected=1 responded=0 expired=0 awaiting=0) automated=25.0% median-decision=",
            Assert.Single(Parse.Starting(report, "REPORT"), l => l.StartsWith("total ", StringComparison.Ordinal)));
        Assert.Contains(Parse.Starting(report, "REPORT"), l => l.StartsWith("tool=transfer seen=3 allowed=0 denied=0 by-grant=0 to-person=3 (approved=2 edited=0 rejected=1", StringComparison.Ordinal));
        Assert.Contains(Parse.Starting(report, "REPORT"), l => l.StartsWith("tool=deposit seen=1 allowed=1 ", StringComparison.Ordinal));
        Assert.Contains(Parse.Starting(report, "REPORT"), l => l.StartsWith("policy=rules/transfers-over-100-need-approval seen=3 ", StringComparison.Ordinal));
        Assert.Contains(Parse.Starting(report, "REPORT"), l => l.StartsWith("policy=rules/deposits-run-at-once seen=1 allowed=1 ", StringComparison.Ordinal));

        // The rules came from appsettings.json: every call names the version (label and content hash) that judged it.
        string version = Assert.Single(Parse.Starting(report, "REPORT"), l => l.StartsWith("version=", StringComparison.Ordinal));
        Assert.Matches("^version=bank-rules-1_sha256:[0-9a-f]{16} seen=4 ", version);

        // The looser candidate runs in shadow: it would have let the three transfers run, the deposit it agrees with.
        Assert.StartsWith("compared=4 agreed=1 agreement=25.0% errors=0 disagreements=RequireApproval->Allow:3", Assert.Single(Parse.Starting(report, "SHADOW")));
    }

    [Fact]
    public async Task Replay_LooserCandidate_ListsTheRejectedCallAsAFalseApproval_WithThePersonsReason()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        string rejected = await DecideThreeTransfersAsync(console);

        IReadOnlyList<string> replay = await console.SendAsync("replay");

        Assert.Equal("OK replay", replay[^1]);
        Assert.StartsWith(
            "candidate=transfers-up-to-1000-run-at-once calls=3 would-allow=3 would-ask=0 would-deny=0 automation=100.0% recorded-automation=0.0% false-approvals=1 needless-asks=0",
            Assert.Single(Parse.Starting(replay, "REPLAY")));
        string falseApproval = Assert.Single(Parse.Starting(replay, "FALSE-APPROVAL"));
        Assert.StartsWith($"{rejected} call_3_1 transfer {{\"amount\":400,\"to\":\"bob\"}} decided-by=teller", falseApproval);
        Assert.EndsWith($" person-said={Rejection}", falseApproval);
        Assert.Empty(Parse.Starting(replay, "NEEDLESS-ASK"));
    }

    [Fact]
    public async Task Replay_Current_ListsTheApprovedCallsAsNeedlessAsks_AndNoToolAsAlwaysApproved()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        await DecideThreeTransfersAsync(console);

        IReadOnlyList<string> replay = await console.SendAsync("replay current");

        Assert.Contains("false-approvals=0 needless-asks=2 ", Assert.Single(Parse.Starting(replay, "REPLAY")), StringComparison.Ordinal);
        Assert.Equal(2, Parse.Starting(replay, "NEEDLESS-ASK").Count);
        Assert.Empty(Parse.Starting(replay, "ALWAYS-APPROVED")); // one transfer was rejected
        Assert.Equal(1000m - 150m - 300m, (await console.BalancesAsync())["carol"]); // replay ran nothing
    }

    [Fact]
    public async Task ApproveWithGrant_LaterTransferWithinBounds_RunsAtOnce_UntilRevoked()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        string first = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 120 to bob"))).ApprovalId;

        IReadOnlyList<string> approved = await console.SendAsync($"approve {first} --grant 8h to=bob amount<=200");

        string grant = Assert.Single(Parse.Starting(approved, "GRANT"));
        Assert.Contains($" transfer user=carol bounds=to=\"bob\",amount<=200 by=teller ", grant, StringComparison.Ordinal);
        Assert.EndsWith($" state=in-force approval={first}", grant);
        Assert.StartsWith("transfer {\"amount\":180,\"to\":\"bob\"} Transferred $180.00", Assert.Single(Parse.Starting(await console.SendAsync("say transfer 180 to bob"), "RESULT")));
        Assert.Single(Parse.Pending(await console.SendAsync("say transfer 250 to bob"))); // over the bound

        string grantId = grant.Split(' ')[0];
        Assert.Equal([$"REVOKED {grantId} reason=Carol called: stop", "OK revoke"], await console.SendAsync($"revoke {grantId} Carol called: stop"));
        Assert.Single(Parse.Pending(await console.SendAsync("say transfer 180 to bob")));
        Assert.EndsWith(" state=revoked approval=" + first, Assert.Single(Parse.Starting(await console.SendAsync("grants"), "GRANT")));
        Assert.Contains(Parse.Starting(await console.SendAsync("report"), "REPORT"), l => l.StartsWith("tool=transfer seen=4 allowed=0 denied=0 by-grant=1 to-person=3 (approved=1 edited=0 rejected=0 responded=0 expired=0 awaiting=2)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--grant", "A grant needs a duration")]
    [InlineData("--grant forever", "'forever' is not a duration")]
    [InlineData("--grant 100d", "A grant lasts at most 90 days.")]
    [InlineData("--grant 8h amount<=lots", "'amount<=lots': the bound after <= must be a number.")]
    public async Task ApproveWithBadGrant_SaysWhy_AndDecidesNothing(string terms, string error)
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);
        string id = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 120 to bob"))).ApprovalId;

        IReadOnlyList<string> output = await console.SendAsync($"approve {id} {terms}");

        Assert.StartsWith("ERROR " + error, Assert.Single(output));
        Assert.Equal(id, Assert.Single(Parse.Pending(await console.SendAsync("pending"))).ApprovalId);
        Assert.Empty(Parse.Starting(await console.SendAsync("grants"), "GRANT"));
    }

    [Fact]
    public async Task Demo_RunsTheTour_AndReplayShowsTheRejectedAndTheAnsweredTransfers()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = ConsoleProcess.Launch(["--demo", "--data", data.Path]);

        IReadOnlyList<string> output = await console.ReadToExitAsync();

        Assert.Equal(0, console.ExitCode);
        Assert.Contains(output, l => l.StartsWith("    all calls:  seen=10 allowed=3 denied=0 by-grant=1 to-person=5 (approved=3 edited=0 rejected=1 responded=1 expired=0 awaiting=0) ", StringComparison.Ordinal) &&
            l.EndsWith(" repeats-answered=1 repeats-stopped=0", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("already rejected this same call", StringComparison.Ordinal) && l.Contains("Carol says she never asked for this", StringComparison.Ordinal));

        // The teller answered the $500 transfer in place of the tool: the model got the answer, nothing moved, and the looser
        // candidate, which would have let it run, counts it as a false approval.
        Assert.Contains(output, l => l.Contains("Done by hand at the branch this morning (slip BR-7); nothing more to send.", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("false-approvals=2 needless-asks=0", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("transfer {\"amount\":500,\"to\":\"alice\"} answered-instead decided-by=teller", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("transfer {\"amount\":400,\"to\":\"bob\"} decided-by=teller person-said=Carol says she never asked for this", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("only understand", StringComparison.Ordinal));
    }

    /// <summary>Approves transfers of $150 and $300 and rejects one of $400 with <see cref="Rejection"/>; returns the rejected approval's id.</summary>
    private static async Task<string> DecideThreeTransfersAsync(ConsoleProcess console)
    {
        foreach (string request in new[] { "say transfer 150 to bob", "say transfer 300 to alice" })
        {
            string id = Assert.Single(Parse.Pending(await console.SendAsync(request))).ApprovalId;
            Assert.Equal("OK approve", (await console.SendAsync($"approve {id}"))[^1]);
        }

        string rejected = Assert.Single(Parse.Pending(await console.SendAsync("say transfer 400 to bob"))).ApprovalId;
        Assert.Equal("OK reject", (await console.SendAsync($"reject {rejected} {Rejection}"))[^1]);
        return rejected;
    }
}
