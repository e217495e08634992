using System.Diagnostics;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>
/// SQLite's busy handler is set on every connection the store opens, a reused pooled one included, through SQLite's C API rather
/// than a <c>PRAGMA</c> statement per operation: a write that meets another connection's write lock waits for it (up to the busy
/// timeout) instead of failing at once.
/// </summary>
public sealed class SqliteBusyTimeoutTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Open_ReusedPooledConnectionWhoseHandlerWasChanged_HasTheConfiguredBusyTimeoutAgain()
    {
        SqliteConnectionFactory factory = new(_files.NewConnectionString(), "hil_", TimeSpan.FromMilliseconds(2345), nameof(SqliteStateStoreOptions));
        SQLitePCL.sqlite3 first;
        await using (SqliteConnection connection = await factory.OpenAsync(CancellationToken.None))
        {
            first = connection.Handle!;
            Assert.Equal(2345L, await BusyTimeoutAsync(connection));
            await using SqliteCommand clear = connection.CreateCommand();
            clear.CommandText = "PRAGMA busy_timeout = 0";
            await clear.ExecuteNonQueryAsync();
            Assert.Equal(0L, await BusyTimeoutAsync(connection));
        }

        await using SqliteConnection reused = await factory.OpenAsync(CancellationToken.None);
        Assert.Same(first, reused.Handle); // the pool handed back the same native connection
        Assert.Equal(2345L, await BusyTimeoutAsync(reused));
    }

    [Fact]
    public async Task Write_OnAReusedPooledConnection_WaitsForAnotherConnectionsWriteLockAndThenRuns()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(new SqliteStateStoreOptions { ConnectionString = connection, BusyTimeout = TimeSpan.FromSeconds(30) });
        Assert.True(await store.TryCreateAsync(Entry("first")));
        Assert.NotNull(await store.GetAsync("first")); // the store's connection is back in the pool, to be reused

        // Another connection (not pooled, not through the store's gate, as another process would be) holds the write lock.
        await using SqliteConnection other = new($"{connection};Pooling=False");
        await other.OpenAsync();
        await using SqliteTransaction held = other.BeginTransaction(deferred: false);

        Task<bool> update = Task.Run(() => store.TryUpdateAsync(Entry("first", ApprovalStatus.Decided) with { Version = 2 }, expectedVersion: 1));
        await Task.Delay(400);
        Assert.False(update.IsCompleted);

        await held.CommitAsync();
        Assert.True(await update);
        Assert.Equal(ApprovalStatus.Decided, (await store.GetAsync("first"))!.Status);
    }

    [Fact]
    public async Task Write_LockHeldBeyondTheBusyTimeout_FailsAsBusyAfterWaitingNotAtOnce()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(new SqliteStateStoreOptions { ConnectionString = connection, BusyTimeout = TimeSpan.FromMilliseconds(300) });
        Assert.True(await store.TryCreateAsync(Entry("first")));

        await using SqliteConnection other = new($"{connection};Pooling=False");
        await other.OpenAsync();
        await using SqliteTransaction held = other.BeginTransaction(deferred: false);

        Stopwatch waited = Stopwatch.StartNew();
        SqliteException error = await Assert.ThrowsAsync<SqliteException>(() => store.TryCreateAsync(Entry("second")));
        waited.Stop();
        Assert.Equal(5, error.SqliteErrorCode);
        Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(250), $"The write failed after {waited.Elapsed.TotalMilliseconds} ms, before the busy timeout.");

        await held.RollbackAsync();
        Assert.Null(await store.GetAsync("second"));
    }

    private static async Task<long> BusyTimeoutAsync(SqliteConnection connection)
    {
        await using SqliteCommand read = connection.CreateCommand();
        read.CommandText = "PRAGMA busy_timeout";
        return (long)(await read.ExecuteScalarAsync())!;
    }

    private static StateEntry Entry(string id, ApprovalStatus status = ApprovalStatus.Pending) =>
        new(id, "c1", status, T0, T0.AddDays(3), T0, 1, $$"""{"id":"{{id}}"}""");
}
