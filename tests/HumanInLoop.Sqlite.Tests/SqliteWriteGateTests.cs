using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>
/// The stores' writes to one file take turns in the process (<see cref="SqliteWriteGate"/>): a write waits for the turn without a
/// thread, every store on the same file shares the turn, and a turn that does not come within the busy timeout fails as SQLite
/// would (SQLITE_BUSY) and writes nothing.
/// </summary>
public sealed class SqliteWriteGateTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Write_WhileAnotherWriteOfTheProcessHoldsTheFile_WaitsAndThenRuns()
    {
        (SqliteStateStore store, string path) = await NewStoreAsync(TimeSpan.FromSeconds(30));
        SqliteWriteGate.Turn held = await new SqliteWriteGate(path, TimeSpan.FromSeconds(1)).EnterAsync(CancellationToken.None);

        Task<bool> create = store.TryCreateAsync(Entry("waits"));
        await Task.Delay(200);
        Assert.False(create.IsCompleted);
        Assert.Null(await store.GetAsync("waits"));

        await held.DisposeAsync();
        Assert.True(await create);
        Assert.NotNull(await store.GetAsync("waits"));
    }

    [Fact]
    public async Task Write_TurnNotComingWithinTheBusyTimeout_FailsAsBusyAndWritesNothing()
    {
        (SqliteStateStore store, string path) = await NewStoreAsync(TimeSpan.FromMilliseconds(300));
        Assert.True(await store.TryCreateAsync(Entry("kept")));

        // Another store on the same file, named by another spelling of its path, shares the turn.
        string other = Path.Combine(Path.GetDirectoryName(path)!, ".", Path.GetFileName(path));
        await using (await new SqliteWriteGate(other, TimeSpan.FromSeconds(1)).EnterAsync(CancellationToken.None))
        {
            SqliteException error = await Assert.ThrowsAsync<SqliteException>(() =>
                store.TryUpdateAsync(Entry("kept", ApprovalStatus.Decided) with { Version = 2 }, expectedVersion: 1));
            Assert.Equal(5, error.SqliteErrorCode);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<SqliteException>(() => store.TryCreateAsync(Entry("refused")));
        }

        StateEntry? kept = await store.GetAsync("kept");
        Assert.Equal(ApprovalStatus.Pending, kept!.Status);
        Assert.Equal(1L, kept.Version);
        Assert.Null(await store.GetAsync("refused"));
        Assert.True(await store.TryUpdateAsync(Entry("kept", ApprovalStatus.Decided) with { Version = 2 }, expectedVersion: 1));
    }

    [Fact]
    public async Task ManyConcurrentWrites_FromSeveralStoresOnOneFile_AllLandOnce()
    {
        (SqliteStateStore first, string path) = await NewStoreAsync(TimeSpan.FromSeconds(30));
        SqliteStateStore[] stores = [first, .. Enumerable.Range(0, 3).Select(_ => new SqliteStateStore($"Data Source={path}"))];

        bool[] created = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => stores[i % stores.Length].TryCreateAsync(Entry($"a{i}")))));
        bool[] updated = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            stores[(i + 1) % stores.Length].TryUpdateAsync(Entry($"a{i}", ApprovalStatus.Decided) with { Version = 2 }, expectedVersion: 1))));

        Assert.All(created, Assert.True);
        Assert.All(updated, Assert.True);
        StatePage page = await first.ListAsync(new StateQuery { Status = ApprovalStatus.Decided, PageSize = 500 });
        Assert.Equal(200, page.Entries.Count);
    }

    [Fact]
    public async Task Write_CancelledWhileWaitingForTheTurn_ThrowsAndWritesNothing()
    {
        (SqliteStateStore store, string path) = await NewStoreAsync(TimeSpan.FromSeconds(30));
        await using SqliteWriteGate.Turn held = await new SqliteWriteGate(path, TimeSpan.FromSeconds(1)).EnterAsync(CancellationToken.None);
        using CancellationTokenSource cancel = new(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.TryCreateAsync(Entry("cancelled"), cancel.Token));
        await held.DisposeAsync();
        Assert.Null(await store.GetAsync("cancelled"));
    }

    private static StateEntry Entry(string id, ApprovalStatus status = ApprovalStatus.Pending) =>
        new(id, "c1", status, T0, T0.AddDays(3), T0, 1, $$"""{"id":"{{id}}"}""");

    private async Task<(SqliteStateStore Store, string Path)> NewStoreAsync(TimeSpan busyTimeout)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(new SqliteStateStoreOptions { ConnectionString = connection, BusyTimeout = busyTimeout });
        await store.InitializeAsync();
        return (store, new SqliteConnectionStringBuilder(connection).DataSource);
    }
}
