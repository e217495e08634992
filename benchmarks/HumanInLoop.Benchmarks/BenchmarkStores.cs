using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using HumanInLoop.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Npgsql;

namespace HumanInLoop.Benchmarks;

/// <summary>The stores under test, each on fresh storage, and real approvals to put in them.</summary>
public static class BenchmarkStores
{
    public const string InMemory = "InMemory";
    public const string Sqlite = "Sqlite";
    public const string PostgreSql = "PostgreSql";

    public static string? PostgresConnectionString => Environment.GetEnvironmentVariable("HUMANINLOOP_POSTGRES") is { Length: > 0 } value ? value : null;

    /// <summary>The stores to measure: PostgreSQL only when a server is configured.</summary>
    public static IEnumerable<string> Available() => PostgresConnectionString is null ? [InMemory, Sqlite] : [InMemory, Sqlite, PostgreSql];

    public static async Task<(IStateStore Store, string Location, Func<Task> Cleanup)> CreateAsync(string kind)
    {
        switch (kind)
        {
            case InMemory:
                return (new InMemoryStateStore(), "", () => Task.CompletedTask);
            case Sqlite:
            {
                string directory = Directory.CreateTempSubdirectory("hil-bench-").FullName;
                string path = Path.Combine(directory, "approvals.db");
                SqliteStateStore store = new($"Data Source={path}");
                await store.InitializeAsync();
                return (store, path, () =>
                {
                    SqliteConnection.ClearAllPools();
                    Directory.Delete(directory, recursive: true);
                    return Task.CompletedTask;
                });
            }

            case PostgreSql:
            {
                string schema = $"bench_{Guid.NewGuid():N}";
                string connection = PostgresConnectionString ?? throw new InvalidOperationException("HUMANINLOOP_POSTGRES is not set.");
                PostgreSqlStateStore store = new(new PostgreSqlStateStoreOptions { ConnectionString = connection, Schema = schema });
                await store.InitializeAsync();
                return (store, schema, async () =>
                {
                    await store.DisposeAsync();
                    await using NpgsqlDataSource admin = NpgsqlDataSource.Create(connection);
                    await using NpgsqlCommand drop = admin.CreateCommand($"DROP SCHEMA \"{schema}\" CASCADE");
                    await drop.ExecuteNonQueryAsync();
                });
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Makes a real pending approval, through the gate, whose history has <paramref name="messages"/> messages.</summary>
    public static async Task<PendingApproval> MakeApprovalAsync(int messages)
    {
        InMemoryStateStore scratch = new();
        ApprovalService approvals = new(scratch, new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });
        ScriptedChatClient model = new(_ => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500 })));
        IChatClient client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) => "sent", "transfer");
        List<ChatMessage> history = [];
        for (int i = 0; i < messages - 2; i++)
        {
            history.Add(i % 2 == 0
                ? new ChatMessage(ChatRole.User, $"Message {i}: what is the balance of account {i}, and the last few payments on it?")
                : new ChatMessage(ChatRole.Assistant, $"Reply {i}: the balance of account {i} is 1,234.56 EUR; the last payments were to Zoë (12.00), the café (3.50) and rent (950.00)."));
        }

        history.Add(new ChatMessage(ChatRole.User, "Transfer 500 to bob."));
        try
        {
            await client.GetResponseAsync(history, new ChatOptions { Tools = ApprovalService.ProtectTools(transfer) }.WithCallerContext(new CallerContext { ConversationId = "conv-bench", UserId = "carol" }));
        }
        catch (PendingApprovalException pause)
        {
            return pause.Approval;
        }

        throw new InvalidOperationException("The gate did not pause.");
    }
}
