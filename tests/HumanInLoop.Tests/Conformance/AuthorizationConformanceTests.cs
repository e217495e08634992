namespace HumanInLoop.Tests.Conformance;

/// <summary>
/// OWASP AISVS 1.0 C9.6.3 (docs/security.md, "OWASP AISVS C9 conformance"): authorization is the runtime's, judged
/// again for every call with that request's caller and the current time; nothing judged earlier carries over.
/// </summary>
public sealed class AuthorizationConformanceTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task EveryCall_IsJudgedAgain_WithItsOwnRequestsCallerAndTheCurrentTime(bool streaming)
    {
        // Small transfers: carol only, and only before 17:00 UTC. The same call, three requests, three judgements.
        ManualClock time = new(TestBank.Start);
        List<(string? User, DateTimeOffset At)> judged = [];
        ApprovalOptions options = new()
        {
            Policies =
            {
                ApprovalPolicy.Allow("check_balance"),
                ApprovalPolicy.Create(call =>
                {
                    if (call.ToolName != "transfer")
                    {
                        return PolicyVerdict.NotApplicable;
                    }

                    DateTimeOffset now = time.GetUtcNow();
                    judged.Add((call.Context.UserId, now));
                    return call.Context.UserId == "carol" && now.Hour < 17 ? PolicyVerdict.Allow : PolicyVerdict.Deny("Only carol, and only in office hours.");
                }),
            },
        };
        TestBank bank = new(options, time: time);

        Outcome first = await bank.SendAsync("transfer 50 to bob", streaming);
        Outcome otherUser = await bank.SendAsync("transfer 50 to bob", streaming, bank.ChatOptions(userId: "mallory"));
        time.Advance(TimeSpan.FromHours(9)); // 18:00
        Outcome afterHours = await bank.SendAsync("transfer 50 to bob", streaming);

        Assert.Null(first.Error);
        Assert.Null(otherUser.Error);
        Assert.Null(afterHours.Error);
        Assert.Single(bank.Transfers); // only the first ran
        Assert.Contains("Only carol", otherUser.Response!.Text, StringComparison.Ordinal);
        Assert.Contains("Only carol", afterHours.Response!.Text, StringComparison.Ordinal);
        Assert.Equal(
            [("carol", TestBank.Start), ("mallory", TestBank.Start), ("carol", TestBank.Start.AddHours(9))],
            judged);
    }
}
