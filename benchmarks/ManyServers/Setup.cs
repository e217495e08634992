using System.Globalization;
using System.Runtime.CompilerServices;
using HumanInLoop;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Npgsql;

namespace ManyServers;

/// <summary>
/// What every process of one run shares: the store kind, where it lives, the run's results folder, and (PostgreSQL) the
/// most connections one process opens; the store and the ledger of a process share that one pool.
/// </summary>
internal sealed record Settings(string Store, string Scope, string ResultsDir, int Pool)
{
    private NpgsqlDataSource? _source;

    public bool IsPostgres => Store == "pg";

    /// <summary>PostgreSQL: the schema of this run. SQLite: the run's own database file, in the results folder.</summary>
    public string SqliteFile => Path.Combine(ResultsDir, "store.db");

    public string Connection => IsPostgres
        ? Environment.GetEnvironmentVariable("HUMANINLOOP_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("Set HUMANINLOOP_POSTGRES (source /tmp/pgenv.sh or .ci/services/postgres.sh start).")
        : $"Data Source={SqliteFile}";

    /// <summary>The application name of this run's PostgreSQL connections, to find their server processes.</summary>
    public string ApplicationName => $"ManyServers {Scope}";

    private NpgsqlDataSource Source => _source ??= NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(Connection) { MaxPoolSize = Pool, ApplicationName = ApplicationName });

    public IStateStore OpenStore() => IsPostgres
        ? new PostgreSqlStateStore(new PostgreSqlStateStoreOptions { DataSource = Source, Schema = Scope })
        : new SqliteStateStore(new SqliteStateStoreOptions { ConnectionString = Connection, TablePrefix = Scope });

    public Ledger OpenLedger() => IsPostgres ? new PostgresLedger(Source, Scope) : new SqliteLedger(Connection, Scope);

    public string[] ToArgs() => ["--store", Store, "--scope", Scope, "--results", ResultsDir, "--pool", Pool.ToString(CultureInfo.InvariantCulture)];

    public static Settings From(IReadOnlyDictionary<string, string> options) =>
        new(options["store"], options["scope"], options["results"], int.Parse(options["pool"], CultureInfo.InvariantCulture));
}

/// <summary>Microseconds since the Unix epoch from the system clock: the one clock every process on the box reads alike.</summary>
internal static class Clock
{
    public static long NowUs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static string Format(FormattableString text) => string.Create(CultureInfo.InvariantCulture, $"{text}");
}

/// <summary>The gate as an app server builds it: a transfer needs a person; the tool writes one ledger row per run.</summary>
internal static class Bank
{
    public const string Tenant = "bank";

    public static ApprovalService Service(IStateStore store) =>
        new(store, new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });

    public static IChatClient Client(ApprovalService service) =>
        new ChatClientBuilder(new TransferModel()).UseFunctionInvocation().UseApprovalGate(service).Build();

    public static ChatOptions Options(AITool transfer, string conversation, string tenant) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(transfer) }
            .WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol", TenantId = tenant });

    /// <summary>One whole cycle (pause, decide, resume) over an in-memory store, so the timed run does not pay for the JIT.</summary>
    public static async Task WarmUpAsync()
    {
        ApprovalService service = Service(new InMemoryStateStore());
        IChatClient client = Client(service);
        ChatOptions options = Options(Transfer(new NoLedger()), "warm-up", "warm-up");
        try
        {
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "warm-up")], options);
            throw new InvalidOperationException("the warm-up did not pause");
        }
        catch (PendingApprovalException pause)
        {
            await service.DecideAsync(pause.Approval.Id, "c-warm-up", ApprovalDecision.Approve(new Approver("teller")));
            await service.ResumeAsync(pause.Approval.Id, client, options);
        }
    }

    public static AIFunction Transfer(Ledger ledger) => AIFunctionFactory.Create(
        async (string to, decimal amount) =>
        {
            ApprovedCall call = ApprovedCall.Current ?? throw new InvalidOperationException("transfer ran outside a resume");
            await ledger.RecordAsync(call.ApprovalId, call.CallId, call.IdempotencyKey, call.Attempt);
            return Clock.Format($"sent {amount} to {to}");
        },
        "transfer",
        "Sends money.");
}

/// <summary>
/// The scripted stand-in model: a transfer call for the user's message (its call id made from the conversation named in it),
/// and "done" once the history ends with the tool's result. It keeps nothing between requests.
/// </summary>
internal sealed class TransferModel : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Respond(messages as IReadOnlyList<ChatMessage> ?? [.. messages]));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        foreach (ChatResponseUpdate update in Respond(messages as IReadOnlyList<ChatMessage> ?? [.. messages]).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static ChatResponse Respond(IReadOnlyList<ChatMessage> messages)
    {
        if (messages[^1].Role == ChatRole.Tool)
        {
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "done"));
        }

        string conversation = messages[0].Text;
        FunctionCallContent call = new($"c-{conversation}", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500 });
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [call]));
    }
}

/// <summary>Where the transfer tool records each run: a row per run, never upserted, so that a second run would show.</summary>
internal abstract class Ledger
{
    public abstract Task EnsureCreatedAsync();

    public abstract Task RecordAsync(string approvalId, string callId, string idempotencyKey, int attempt);

    /// <summary>Rows per approval id.</summary>
    public abstract Task<Dictionary<string, int>> CountsAsync();
}

/// <summary>The warm-up's ledger: it writes nothing.</summary>
internal sealed class NoLedger : Ledger
{
    public override Task EnsureCreatedAsync() => Task.CompletedTask;

    public override Task RecordAsync(string approvalId, string callId, string idempotencyKey, int attempt) => Task.CompletedTask;

    public override Task<Dictionary<string, int>> CountsAsync() => Task.FromResult(new Dictionary<string, int>());
}

internal sealed class SqliteLedger(string connectionString, string prefix) : Ledger
{
    private string Table => $"\"{prefix}ledger\"";

    public override async Task EnsureCreatedAsync()
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {Table} (seq INTEGER PRIMARY KEY AUTOINCREMENT, approval_id TEXT NOT NULL, call_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL, at_us INTEGER NOT NULL)";
        await command.ExecuteNonQueryAsync();
    }

    public override async Task RecordAsync(string approvalId, string callId, string idempotencyKey, int attempt)
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {Table} (approval_id, call_id, idempotency_key, attempt, pid, at_us) VALUES (@a, @c, @k, @n, @p, @t)";
        command.Parameters.AddWithValue("@a", approvalId);
        command.Parameters.AddWithValue("@c", callId);
        command.Parameters.AddWithValue("@k", idempotencyKey);
        command.Parameters.AddWithValue("@n", attempt);
        command.Parameters.AddWithValue("@p", Environment.ProcessId);
        command.Parameters.AddWithValue("@t", Clock.NowUs());
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    public override async Task<Dictionary<string, int>> CountsAsync()
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT approval_id, COUNT(*) FROM {Table} GROUP BY approval_id";
        Dictionary<string, int> counts = new(StringComparer.Ordinal);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        SqliteConnection connection = new(connectionString);
        await connection.OpenAsync();
        await using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000";
        await pragma.ExecuteNonQueryAsync();
        return connection;
    }
}

internal sealed class PostgresLedger(NpgsqlDataSource source, string schema) : Ledger
{
    private readonly NpgsqlDataSource _source = source;

    private string Table => $"\"{schema}\".many_ledger";

    public override async Task EnsureCreatedAsync()
    {
        await using NpgsqlCommand command = _source.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS {Table} (seq bigserial PRIMARY KEY, approval_id text NOT NULL, call_id text NOT NULL, idempotency_key text NOT NULL, attempt integer NOT NULL, pid integer NOT NULL, at_us bigint NOT NULL)");
        await command.ExecuteNonQueryAsync();
    }

    public override async Task RecordAsync(string approvalId, string callId, string idempotencyKey, int attempt)
    {
        await using NpgsqlCommand command = _source.CreateCommand($"INSERT INTO {Table} (approval_id, call_id, idempotency_key, attempt, pid, at_us) VALUES ($1, $2, $3, $4, $5, $6)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = approvalId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = callId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = idempotencyKey });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Environment.ProcessId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Clock.NowUs() });
        await command.ExecuteNonQueryAsync();
    }

    public override async Task<Dictionary<string, int>> CountsAsync()
    {
        await using NpgsqlCommand command = _source.CreateCommand($"SELECT approval_id, COUNT(*)::int FROM {Table} GROUP BY approval_id");
        Dictionary<string, int> counts = new(StringComparer.Ordinal);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }
}
