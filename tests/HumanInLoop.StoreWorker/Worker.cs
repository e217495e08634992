using System.Diagnostics;
using System.Globalization;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using HumanInLoop.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Npgsql;

namespace HumanInLoop.StoreWorker;

internal sealed class Worker
{
    private static readonly Approver s_alice = new("alice");

    private readonly ExecutionLog _log;
    private readonly ApprovalService _approvals;
    private readonly IChatClient _client;
    private readonly AIFunction _transfer;
    private int _sleepMin;
    private int _sleepMax;

    private Worker(IStateStore store, ExecutionLog log, TimeSpan lease)
    {
        _log = log;
        ApprovalOptions options = new()
        {
            ExecutionLease = lease,
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") },
        };
        _approvals = new ApprovalService(store, options);
        ScriptedChatClient model = new(Script);
        _client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(_approvals).Build();
        _transfer = AIFunctionFactory.Create(TransferAsync, "transfer", "Sends money.");
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 5)
        {
            await Console.Error.WriteLineAsync("usage: <sqlite|postgres> <connection string> <prefix|schema> <lease ms> <command> [arguments]");
            return 2;
        }

        string kind = args[0], connection = args[1], scope = args[2];
        TimeSpan lease = TimeSpan.FromMilliseconds(int.Parse(args[3], CultureInfo.InvariantCulture));
        string[] rest = args[5..];
        (IStateStore store, ExecutionLog log) = kind switch
        {
            "sqlite" => ((IStateStore)new SqliteStateStore(new SqliteStateStoreOptions { ConnectionString = connection, TablePrefix = scope }),
                (ExecutionLog)new SqliteExecutionLog(connection, scope)),
            "postgres" => (new PostgreSqlStateStore(new PostgreSqlStateStoreOptions { ConnectionString = connection, Schema = scope }),
                new PostgresExecutionLog(connection, scope)),
            _ => throw new ArgumentException($"unknown store kind '{kind}'"),
        };

        if (args[4] is "crash" or "recover")
        {
            return await CrashWorker.RunAsync(store, log, lease, args[4], rest);
        }

        Worker worker = new(store, log, lease);
        return await worker.RunCommandAsync(args[4], rest);
    }

    private async Task<int> RunCommandAsync(string command, string[] a)
    {
        switch (command)
        {
            case "prepare":
                await PrepareStorageAsync();
                for (int i = 0; i < int.Parse(a[0], CultureInfo.InvariantCulture); i++)
                {
                    string id = await PauseAsync($"conv-{Guid.NewGuid():N}");
                    if (a[1] == "approve")
                    {
                        await _approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(s_alice));
                    }

                    Console.WriteLine($"id {id}");
                }

                return 0;
            case "pause":
                await PrepareStorageAsync();
                Console.WriteLine($"paused {await PauseAsync(a[0])}");
                return 0;
            case "list-decide-resume":
            {
                ApprovalPage page = await _approvals.ListAsync(new StateQuery { ConversationId = a[0], Status = ApprovalStatus.Pending });
                PendingApproval first = page.Approvals[0];
                Console.WriteLine($"listed {string.Join(",", page.Approvals.Select(p => p.Id))}");
                PendingApproval decided = await _approvals.DecideAsync(first.Id, first.AwaitingApproval.Single().CallId, ApprovalDecision.Approve(s_alice));
                Console.WriteLine($"decided {decided.Status}");
                Console.WriteLine($"resumed {await ResumeAsync(first.Id)}");
                return 0;
            }

            case "resume":
                _sleepMin = int.Parse(a[1], CultureInfo.InvariantCulture);
                _sleepMax = int.Parse(a[2], CultureInfo.InvariantCulture);
                Stopwatch watch = Stopwatch.StartNew();
                await _approvals.Store.GetAsync(a[0]);
                if (a.Length > 3)
                {
                    // Resume another approval first, so that what follows runs at its real pace, not the pace of first-call JIT.
                    await ResumeAsync(a[3]);
                }

                Console.WriteLine("resuming");
                watch.Restart();
                string outcome = await ResumeAsync(a[0]);
                Console.WriteLine($"{outcome}");
                Console.WriteLine($"elapsed {watch.ElapsedMilliseconds}");
                return 0;
            case "resume-race":
                await RaceAsync(int.Parse(a[1], CultureInfo.InvariantCulture), long.Parse(a[2], CultureInfo.InvariantCulture), () => ResumeAsync(a[0]));
                return 0;
            case "decide-race":
                await RaceAsync(int.Parse(a[2], CultureInfo.InvariantCulture), long.Parse(a[3], CultureInfo.InvariantCulture), () => DecideAsync(a[0], a[1], a[4]));
                return 0;
            case "resume-each":
                foreach (string id in a)
                {
                    Console.WriteLine($"{id} {await ResumeAsync(id)}");
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown command '{command}'");
                return 2;
        }
    }

    /// <summary>The store creates its schema on first use; the executions table goes beside it.</summary>
    private async Task PrepareStorageAsync()
    {
        await _approvals.Store.ListAsync(new StateQuery { PageSize = 1 });
        await _log.EnsureCreatedAsync();
    }

    private static async Task RaceAsync(int attempts, long startAtUnixMs, Func<Task<string>> attempt)
    {
        long wait = startAtUnixMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }

        string[] outcomes = await Task.WhenAll(Enumerable.Range(0, attempts).Select(_ => Task.Run(attempt)));
        foreach (string outcome in outcomes)
        {
            Console.WriteLine($"outcome {outcome}");
        }
    }

    private ChatOptions Options(string conversation) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(_transfer) }
            .WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol" });

    private async Task<string> PauseAsync(string conversation)
    {
        try
        {
            ChatResponse response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "transfer 500 to bob")], Options(conversation));
            throw new InvalidOperationException($"The gate did not pause: {response.Text}");
        }
        catch (PendingApprovalException pause)
        {
            return pause.Approval.Id;
        }
    }

    private async Task<string> ResumeAsync(string id)
    {
        try
        {
            PendingApproval approval = await _approvals.GetAsync(id);
            ResumeResult result = await _approvals.ResumeAsync(id, _client, Options(approval.Context.ConversationId!));
            return result.Response.Text.Contains("done", StringComparison.Ordinal) ? "ok" : $"error unexpected-answer";
        }
        catch (Exception exception)
        {
            return Describe(exception);
        }
    }

    private async Task<string> DecideAsync(string id, string verdict, string approver)
    {
        try
        {
            Approver who = new(approver);
            await _approvals.DecideAsync(id, "c-tr", verdict == "approve" ? ApprovalDecision.Approve(who) : ApprovalDecision.Reject(who, "No."));
            return "ok";
        }
        catch (Exception exception)
        {
            return Describe(exception);
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        ApprovalConflictException conflict => $"conflict {conflict.Status}",
        ApprovalExpiredException => "expired",
        ApprovalNotFoundException => "not-found",
        _ => $"error {exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}",
    };

    private async Task<string> TransferAsync(string to, decimal amount)
    {
        if (_sleepMax > 0)
        {
            await Task.Delay(Random.Shared.Next(_sleepMin, _sleepMax + 1));
        }

        ApprovedCall call = ApprovedCall.Current ?? throw new InvalidOperationException("transfer ran outside a resume");
        await _log.RecordAsync(call.ApprovalId, call.IdempotencyKey, call.Attempt);
        return $"sent {amount.ToString(CultureInfo.InvariantCulture)} to {to}";
    }

    /// <summary>The scripted model: a transfer call for the first user message, text once the history has its result.</summary>
    private static ChatResponse Script(IReadOnlyList<ChatMessage> messages) =>
        messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500 }));
}

/// <summary>Where the transfer tool records each execution: a row per run (never upserted), so a duplicate would show.</summary>
internal abstract class ExecutionLog
{
    public abstract Task EnsureCreatedAsync();

    public abstract Task RecordAsync(string approvalId, string idempotencyKey, int attempt);
}

internal sealed class SqliteExecutionLog(string connectionString, string prefix) : ExecutionLog
{
    public static string Table(string prefix) => $"\"{prefix}test_executions\"";

    public override async Task EnsureCreatedAsync()
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {Table(prefix)} (seq INTEGER PRIMARY KEY AUTOINCREMENT, approval_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL)";
        await command.ExecuteNonQueryAsync();
    }

    public override async Task RecordAsync(string approvalId, string idempotencyKey, int attempt)
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {Table(prefix)} (approval_id, idempotency_key, attempt, pid) VALUES (@a, @k, @n, @p)";
        command.Parameters.AddWithValue("@a", approvalId);
        command.Parameters.AddWithValue("@k", idempotencyKey);
        command.Parameters.AddWithValue("@n", attempt);
        command.Parameters.AddWithValue("@p", Environment.ProcessId);
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
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

internal sealed class PostgresExecutionLog(string connectionString, string schema) : ExecutionLog
{
    public static string Table(string schema) => $"\"{schema}\".test_executions";

    public override async Task EnsureCreatedAsync()
    {
        await using NpgsqlConnection connection = new(connectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new($"CREATE TABLE IF NOT EXISTS {Table(schema)} (seq bigserial PRIMARY KEY, approval_id text NOT NULL, idempotency_key text NOT NULL, attempt integer NOT NULL, pid integer NOT NULL)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public override async Task RecordAsync(string approvalId, string idempotencyKey, int attempt)
    {
        await using NpgsqlConnection connection = new(connectionString);
        await connection.OpenAsync();
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync();
        await using NpgsqlCommand command = new($"INSERT INTO {Table(schema)} (approval_id, idempotency_key, attempt, pid) VALUES ($1, $2, $3, $4)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = approvalId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = idempotencyKey });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Environment.ProcessId });
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
}
