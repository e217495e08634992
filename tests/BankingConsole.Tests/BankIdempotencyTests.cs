namespace BankingConsole.Tests;

/// <summary>
/// The sample's bank (its source compiled in): a movement recorded with an idempotency key happens at most once per key,
/// because the key is written under a unique index in the same SQLite transaction as the balance change.
/// </summary>
public sealed class BankIdempotencyTests
{
    [Fact]
    public async Task SameKeyTwice_MovesMoneyOnce_SecondSaysAlreadyDone()
    {
        using TempDataDirectory data = new();
        Bank bank = await Bank.OpenAsync(Path.Combine(data.Path, "bank.db"));

        BankOperationResult first = await bank.TransferAsync("carol", "bob", 500m, "apr_x-0", "apr_x");
        BankOperationResult again = await bank.TransferAsync("carol", "bob", 500m, "apr_x-0", "apr_x");

        Assert.Equal((true, false), (first.Succeeded, first.Replayed));
        Assert.Equal((true, true), (again.Succeeded, again.Replayed));
        Assert.Contains("nothing moved again", again.Message, StringComparison.Ordinal);
        Assert.Equal([new AccountBalance("alice", 25_000), new AccountBalance("bob", 75_000), new AccountBalance("carol", 50_000)], await bank.GetBalancesAsync());
        LedgerEntry entry = Assert.Single(await bank.GetLedgerAsync());
        Assert.Equal(("apr_x-0", "apr_x", 50_000L), (entry.IdempotencyKey, entry.ApprovalId, entry.Cents));
    }

    [Fact]
    public async Task SameKeyFromManyConnectionsAtOnce_MovesMoneyOnce()
    {
        using TempDataDirectory data = new();
        string path = Path.Combine(data.Path, "bank.db");
        Bank[] banks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Bank.OpenAsync(path)));

        BankOperationResult[] results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => banks[i % banks.Length].TransferAsync("carol", "alice", 10m, "apr_race-0", "apr_race"))));

        Assert.Single(results, r => !r.Replayed);
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(99_000, (await banks[0].GetBalanceAsync("carol"))!.Value);
        Assert.Single(await banks[0].GetLedgerAsync());
    }

    [Fact]
    public async Task WithoutAKey_EachCallMovesMoney()
    {
        using TempDataDirectory data = new();
        Bank bank = await Bank.OpenAsync(Path.Combine(data.Path, "bank.db"));

        await bank.DepositAsync("carol", 20m, null, null);
        await bank.DepositAsync("carol", 20m, null, null);

        Assert.Equal(104_000, await bank.GetBalanceAsync("carol"));
        Assert.Equal(2, (await bank.GetLedgerAsync()).Count);
    }

    [Theory]
    [InlineData("carol", "zed", 10, "There is no account 'zed'")]
    [InlineData("carol", "bob", 0, "The amount must be more than zero")]
    [InlineData("carol", "bob", -1, "The amount must be more than zero")]
    [InlineData("carol", "bob", 0.005, "whole cents")]
    [InlineData("carol", "bob", 1000.01, "carol has only $1,000.00")]
    [InlineData("carol", "carol", 10, "The two accounts are the same")]
    [InlineData("carol", "bob", 2000000, "at most $1,000,000.00")]
    public async Task RefusedTransfer_MovesNothing_RecordsNothing(string from, string to, double amount, string reason)
    {
        using TempDataDirectory data = new();
        Bank bank = await Bank.OpenAsync(Path.Combine(data.Path, "bank.db"));

        BankOperationResult result = await bank.TransferAsync(from, to, (decimal)amount, "apr_bad-0", "apr_bad");

        Assert.False(result.Succeeded);
        Assert.Contains(reason, result.Message, StringComparison.Ordinal);
        Assert.Equal([new AccountBalance("alice", 25_000), new AccountBalance("bob", 25_000), new AccountBalance("carol", 100_000)], await bank.GetBalancesAsync());
        Assert.Empty(await bank.GetLedgerAsync());
    }

    [Fact]
    public async Task ReopenedFile_KeepsBalances_DoesNotReseed()
    {
        using TempDataDirectory data = new();
        string path = Path.Combine(data.Path, "bank.db");
        await (await Bank.OpenAsync(path)).TransferAsync("carol", "bob", 1m, null, null);

        Bank reopened = await Bank.OpenAsync(path);

        Assert.Equal(99_900, await reopened.GetBalanceAsync("carol"));
    }
}
