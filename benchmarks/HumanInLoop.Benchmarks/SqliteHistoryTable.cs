using System.Globalization;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// Where the Microsoft.Extensions.AI baseline keeps a paused conversation: a table of the same shape as
/// <c>SqliteStateStore</c>'s (same columns, primary key and indexes, a row per paused conversation, the JSON as text), in a
/// file switched to WAL the same way, with the same connection settings (pooled connection per operation, busy timeout set
/// on each, default <c>synchronous</c>), so the comparison measures the flows and not different storage settings.
/// </summary>
public sealed class SqliteHistoryTable(string path)
{
    private const int BusyTimeoutMs = 30_000;
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString();

    public async Task InitializeAsync()
    {
        await using SqliteConnection connection = await OpenAsync();
        foreach (string sql in new[]
        {
            "PRAGMA journal_mode = WAL",
            """
            CREATE TABLE IF NOT EXISTS conversations (
                id TEXT NOT NULL PRIMARY KEY,
                conversation_id TEXT NULL,
                status INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                version INTEGER NOT NULL,
                data TEXT NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS conversations_created ON conversations (created_at DESC, id DESC)",
            "CREATE INDEX IF NOT EXISTS conversations_status_created ON conversations (status, created_at DESC, id DESC)",
            "CREATE INDEX IF NOT EXISTS conversations_conversation_created ON conversations (conversation_id, created_at DESC, id DESC)",
            "CREATE INDEX IF NOT EXISTS conversations_status_updated ON conversations (status, updated_at)",
        })
        {
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task SaveAsync(string id, string conversationId, string data)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "INSERT INTO conversations (id, conversation_id, status, created_at, expires_at, updated_at, version, data) VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data) ON CONFLICT (id) DO NOTHING";
        command.Parameters.AddWithValue("@id", id);
        command.Parameters.AddWithValue("@conversation", conversationId);
        command.Parameters.AddWithValue("@status", 0);
        command.Parameters.AddWithValue("@created", now);
        command.Parameters.AddWithValue("@expires", now + (long)TimeSpan.FromDays(3).TotalMilliseconds);
        command.Parameters.AddWithValue("@updated", now);
        command.Parameters.AddWithValue("@version", 1L);
        command.Parameters.AddWithValue("@data", data);
        if (await command.ExecuteNonQueryAsync() != 1)
        {
            throw new InvalidOperationException($"A conversation with id '{id}' exists already.");
        }
    }

    public async Task<string> LoadAsync(string id)
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT id, conversation_id, status, created_at, expires_at, updated_at, version, data FROM conversations WHERE id = @id";
        command.Parameters.AddWithValue("@id", id);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetString(7) : throw new InvalidOperationException($"No conversation '{id}'.");
    }

    public async Task ClearAsync()
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM conversations";
        await command.ExecuteNonQueryAsync();
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        SqliteConnection connection = new(_connectionString);
        await connection.OpenAsync();
        await using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {BusyTimeoutMs}");
        await pragma.ExecuteNonQueryAsync();
        return connection;
    }
}
