using HumanInLoop.Sqlite;
using HumanInLoop.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>A process still running HumanInLoop.Sqlite of schema version 2 while another one upgrades the file to version 3.</summary>
public sealed partial class SqliteStateStoreTests
{
    [Fact]
    public async Task ProcessStillAtSchemaVersion2_CanStillDecideTheApprovalItHeld_AfterAnotherProcessUpgradesTheFile()
    {
        string connection = _files.NewConnectionString();
        await ExecuteAsync(connection, VersionTwoSchema);

        // The old process (the statements HumanInLoop.Sqlite 0c219d6 ran) holds an approval: its conversation goes to approvals.history.
        SchemaTwoProcessStore old = new(connection);
        ApprovalService oldApprovals = new(old, new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });
        ScriptedChatClient model = new(m => m[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500 })));
        IChatClient client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(oldApprovals).Build();
        ChatOptions options = new() { Tools = ApprovalService.ProtectTools(AIFunctionFactory.Create((string to, int amount) => "sent", "transfer")) };
        string id = (await Assert.ThrowsAsync<PendingApprovalException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], options))).Approval.Id;

        // Another process starts with the new package and upgrades the file.
        await new SqliteStateStore(connection).InitializeAsync();

        // The old process still serves approvers: the approval it held must still be readable and decidable by it.
        await oldApprovals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(new Approver("alice")));
        Assert.NotNull((await old.GetAsync(id))!.History);

        // And the new package reads it as the old process left it.
        SqliteStateStore upgraded = new(connection);
        ApprovalService newApprovals = new(upgraded, new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });
        Assert.Equal(ApprovalStatus.Decided, (await newApprovals.GetAsync(id)).Status);
        Assert.Equal("go", (await newApprovals.GetAsync(id)).Messages[0].Text);

        // An approval the new process holds has its conversation only in the new table: the old process refuses it with a
        // typed error (upgrade every process), and nothing of it is lost or changed.
        IChatClient newClient = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(newApprovals).Build();
        string newId = (await Assert.ThrowsAsync<PendingApprovalException>(() => newClient.GetResponseAsync([new ChatMessage(ChatRole.User, "go again")], options))).Approval.Id;
        await Assert.ThrowsAsync<ApprovalStateFormatException>(() => oldApprovals.DecideAsync(newId, "c-tr", ApprovalDecision.Approve(new Approver("alice"))));
        Assert.Equal(ApprovalStatus.Pending, (await newApprovals.GetAsync(newId)).Status);
        Assert.Equal("go again", (await newApprovals.GetAsync(newId)).Messages[0].Text);
    }

    /// <summary>The statements of SqliteStateStore at schema version 2 (git show 0c219d6:src/HumanInLoop.Sqlite/SqliteStateStore.cs).</summary>
    private sealed class SchemaTwoProcessStore(string connectionString) : IStateStore
    {
        private const string Columns = "id, conversation_id, status, created_at, expires_at, updated_at, version, data, history";

        public bool StoresHistorySeparately => true;

        public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
        {
            await using SqliteConnection db = await OpenAsync();
            await using SqliteCommand command = db.CreateCommand();
            command.CommandText = $"INSERT INTO hil_approvals ({Columns}) VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data, @history) ON CONFLICT (id) DO NOTHING";
            Add(command, entry);
            command.Parameters.AddWithValue("@history", (object?)entry.History ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }

        public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
        {
            await using SqliteConnection db = await OpenAsync();
            await using SqliteCommand command = db.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM hil_approvals WHERE id = @id";
            command.Parameters.AddWithValue("@id", id);
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new StateEntry(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), (ApprovalStatus)reader.GetInt32(2),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), reader.GetInt64(6), reader.GetString(7))
                { History = reader.IsDBNull(8) ? null : reader.GetString(8) }
                : null;
        }

        public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
        {
            await using SqliteConnection db = await OpenAsync();
            await using SqliteCommand command = db.CreateCommand();
            command.CommandText = """
                UPDATE hil_approvals
                SET conversation_id = @conversation, status = @status, created_at = @created, expires_at = @expires,
                    updated_at = @updated, version = @version, data = @data
                WHERE id = @id AND version = @expected
                """;
            Add(command, entry);
            command.Parameters.AddWithValue("@expected", expectedVersion);
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        private async Task<SqliteConnection> OpenAsync()
        {
            SqliteConnection db = new(connectionString);
            await db.OpenAsync();
            return db;
        }

        private static void Add(SqliteCommand command, StateEntry entry)
        {
            command.Parameters.AddWithValue("@id", entry.Id);
            command.Parameters.AddWithValue("@conversation", (object?)entry.ConversationId ?? DBNull.Value);
            command.Parameters.AddWithValue("@status", (int)entry.Status);
            command.Parameters.AddWithValue("@created", entry.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("@expires", entry.ExpiresAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("@updated", entry.UpdatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("@version", entry.Version);
            command.Parameters.AddWithValue("@data", entry.Data);
        }
    }
}
