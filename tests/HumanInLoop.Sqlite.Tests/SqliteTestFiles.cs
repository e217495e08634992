using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>A temporary directory for one test's database files, removed afterwards.</summary>
public sealed class SqliteTestFiles : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("hil-sqlite-").FullName;

    public string NewConnectionString(string name = "approvals") => $"Data Source={Path.Combine(Directory, $"{name}-{Guid.NewGuid():N}.db")}";

    public void Dispose()
    {
        // Idle pooled connections keep the files open; only idle ones are closed, so other tests are unaffected.
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
