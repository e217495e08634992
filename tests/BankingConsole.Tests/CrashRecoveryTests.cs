namespace BankingConsole.Tests;

/// <summary>
/// The process dies (killed, as by SIGKILL) right after the bank committed an approved transfer, before the approval store
/// recorded that it ran. The next run takes the approval over once the dead run's claim lapses, runs the transfer again with
/// the same idempotency key, and the bank recognizes the key: the money moves exactly once.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task KilledAfterTheTransferCommitted_NextRunResumes_MoneyMovesOnce()
    {
        using TempDataDirectory data = new();
        Dictionary<string, string> shortLease = new() { ["BANKINGCONSOLE_EXECUTION_LEASE_SECONDS"] = "1" };
        PendingLine pending;
        await using (ConsoleProcess first = await ConsoleProcess.StartAsync(data.Path, [], new Dictionary<string, string>(shortLease)
        {
            ["BANKINGCONSOLE_KILL_AFTER_TOOL"] = "transfer",
        }))
        {
            pending = Assert.Single(Parse.Pending(await first.SendAsync("say transfer 500 to bob")));
            await first.Input.WriteLineAsync($"approve {pending.ApprovalId}");
            await first.Input.FlushAsync();

            IReadOnlyList<string> output = await first.ReadToExitAsync();

            Assert.NotEqual(0, first.ExitCode);
            Assert.DoesNotContain(output, l => l.StartsWith("ANSWER ", StringComparison.Ordinal));
        }

        await using ConsoleProcess second = await ConsoleProcess.StartAsync(data.Path, [], shortLease);
        Assert.Contains($"EXECUTING {pending.ApprovalId}", second.Startup);
        Assert.Equal(500m, (await second.BalancesAsync())["carol"]); // the first run's transfer did commit
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // the dead run's claim lapses

        IReadOnlyList<string> resumed = await second.SendAsync($"resume {pending.ApprovalId}");

        Assert.StartsWith($"Already done earlier (idempotency key {pending.ApprovalId}-0), nothing moved again", Parse.Answer(resumed), StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, decimal> { ["alice"] = 250m, ["bob"] = 750m, ["carol"] = 500m }, await second.BalancesAsync());
        Assert.Single(Parse.Starting(await second.SendAsync("ledger"), "LEDGER"));
        Assert.StartsWith("ERROR ", (await second.SendAsync($"resume {pending.ApprovalId}"))[^1], StringComparison.Ordinal);
        Assert.Empty(Parse.Starting(await second.SendAsync("pending"), "EXECUTING"));
    }
}
