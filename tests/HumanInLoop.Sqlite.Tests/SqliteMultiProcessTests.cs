using HumanInLoop.StoreTesting;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

public sealed class SqliteMultiProcessTests(Xunit.Abstractions.ITestOutputHelper output) : MultiProcessStoreTests(output), IDisposable
{
    private readonly SqliteTestFiles _files = new();

    protected override Task<(WorkerTarget Target, IStateStore Store)> CreateStorageAsync()
    {
        string connection = _files.NewConnectionString();
        return Task.FromResult<(WorkerTarget, IStateStore)>((new WorkerTarget("sqlite", connection, "hil_"), new SqliteStateStore(connection)));
    }

    protected override async Task<int> CountExecutionsAsync(WorkerTarget target, string approvalId)
    {
        await using SqliteConnection connection = new(target.ConnectionString);
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{target.Scope}test_executions\" WHERE approval_id = @id";
        command.Parameters.AddWithValue("@id", approvalId);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _files.Dispose();
}
