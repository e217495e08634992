using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace SseChat.Chat;

/// <summary>
/// Conversations in the sample's SQLite file, so the server keeps nothing in memory between requests. The history is
/// written only by the server (after an answer, a pause or a resume); the browser sends just the conversation id.
/// </summary>
internal sealed class ConversationStore
{
    private readonly string _connectionString;

    public ConversationStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 }.ToString();
        using SqliteConnection connection = Open();
        using SqliteCommand create = connection.CreateCommand();
        create.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS chat_conversations (
                id TEXT PRIMARY KEY, owner TEXT NOT NULL, messages TEXT NOT NULL, pending_approval_id TEXT NULL, updated_at INTEGER NOT NULL);
            """;
        create.ExecuteNonQuery();
    }

    public async Task<Conversation?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = Open();
        await using SqliteCommand read = connection.CreateCommand();
        read.CommandText = "SELECT owner, messages, pending_approval_id FROM chat_conversations WHERE id = $id";
        read.Parameters.AddWithValue("$id", id);
        await using SqliteDataReader reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        List<ChatMessage> messages = JsonSerializer.Deserialize<List<ChatMessage>>(reader.GetString(1), AIJsonUtilities.DefaultOptions) ?? [];
        return new Conversation(id, reader.GetString(0), messages, reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    public async Task SaveAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = Open();
        await using SqliteCommand write = connection.CreateCommand();
        write.CommandText = """
            INSERT INTO chat_conversations (id, owner, messages, pending_approval_id, updated_at) VALUES ($id, $owner, $messages, $pending, $now)
            ON CONFLICT (id) DO UPDATE SET messages = excluded.messages, pending_approval_id = excluded.pending_approval_id, updated_at = excluded.updated_at
            WHERE chat_conversations.owner = excluded.owner
            """;
        write.Parameters.AddWithValue("$id", conversation.Id);
        write.Parameters.AddWithValue("$owner", conversation.Owner);
        write.Parameters.AddWithValue("$messages", JsonSerializer.Serialize(conversation.Messages, AIJsonUtilities.DefaultOptions));
        write.Parameters.AddWithValue("$pending", (object?)conversation.PendingApprovalId ?? DBNull.Value);
        write.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

    private SqliteConnection Open()
    {
        SqliteConnection connection = new(_connectionString);
        connection.Open();
        return connection;
    }
}

internal sealed record Conversation(string Id, string Owner, IReadOnlyList<ChatMessage> Messages, string? PendingApprovalId);
