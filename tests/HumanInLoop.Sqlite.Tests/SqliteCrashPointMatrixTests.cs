#if NET10_0_OR_GREATER
using HumanInLoop.StoreTesting;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>The crash-point matrix on a real SQLite file; runs on net10.0 only (the child is a net10.0 process whatever the target, so the other targets would repeat the same kills).</summary>
public sealed class SqliteCrashPointMatrixTests(Xunit.Abstractions.ITestOutputHelper output) : CrashPointMatrixTests(output), IDisposable
{
    private readonly SqliteTestFiles _files = new();

    protected override Task<(WorkerTarget Target, IStateStore Store)> CreateStorageAsync()
    {
        string connection = _files.NewConnectionString();
        return Task.FromResult<(WorkerTarget, IStateStore)>((new WorkerTarget("sqlite", connection, "hil_"), new SqliteStateStore(connection)));
    }

    protected override async Task<IReadOnlyList<(string ApprovalId, string IdempotencyKey)>> ReadLedgerAsync(WorkerTarget target)
    {
        await using SqliteConnection connection = new(target.ConnectionString);
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT approval_id, idempotency_key FROM \"{target.Scope}test_executions\" ORDER BY seq";
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        List<(string, string)> rows = [];
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    public void Dispose() => _files.Dispose();
}
#endif
