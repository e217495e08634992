using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HumanInLoop;
using HumanInLoop.PostgreSql;
using Microsoft.Extensions.AI;
using Npgsql;

/// <summary>
/// Fills a fresh schema. Call records: 1,000 distinct calls go through the real gate over an in-memory store (so each record's
/// Data is exactly what the library writes: arguments, caller, verdict with policy names, shadow verdict), then each is copied
/// with a fresh id and time (the two values that differ between records) until there are <c>calls</c>, appended through
/// <see cref="ICallRecordStore.AppendCallRecordsAsync"/> in batches of 5,000. Approvals: made through the gate on PostgreSQL;
/// 70 % approved, 20 % rejected with a reason, 10 % left waiting.
/// </summary>
internal static class Seed
{
    private const int Templates = 1000;
    private const int Batch = 5000;

    public static async Task RunAsync(string connection, int calls, int approvals, string schema)
    {
        await using (NpgsqlDataSource admin = NpgsqlDataSource.Create(connection))
        {
            await using NpgsqlCommand drop = admin.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\";");
            await drop.ExecuteNonQueryAsync();
        }

        await using PostgreSqlStateStore store = Rules.Store(connection, schema);
        await store.InitializeAsync();
        List<CallRecordEntry> templates = await TemplatesAsync();
        Stopwatch clock = Stopwatch.StartNew();
        DateTimeOffset start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        List<CallRecordEntry> batch = new(Batch);
        for (int i = 0; i < calls; i++)
        {
            CallRecordEntry template = templates[i % templates.Count];
            string id = $"call_seed{i:D10}";
            DateTimeOffset at = start.AddMilliseconds(i * 2L); // 500 calls a second, for about 33 minutes per million
            batch.Add(new CallRecordEntry(id, template.ToolName, template.TenantId, at, Rewrite(template, id, at)));
            if (batch.Count == Batch || i == calls - 1)
            {
                await store.AppendCallRecordsAsync(batch);
                batch.Clear();
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded call-records={calls} seconds={clock.Elapsed.TotalSeconds:0.0} rows/s={calls / clock.Elapsed.TotalSeconds:0}"));
        clock.Restart();
        await ApprovalsAsync(store, approvals);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded approvals={approvals} seconds={clock.Elapsed.TotalSeconds:0.0}"));
        await using (NpgsqlDataSource admin = NpgsqlDataSource.Create(connection))
        {
            await using NpgsqlCommand analyze = admin.CreateCommand($"VACUUM ANALYZE \"{schema}\".hil_call_records; ANALYZE \"{schema}\".hil_approvals;");
            await analyze.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The template with another id and time: the record is otherwise what the gate wrote.</summary>
    private static string Rewrite(CallRecordEntry template, string id, DateTimeOffset at)
    {
        using JsonDocument document = JsonDocument.Parse(template.Data);
        string seenAt = document.RootElement.GetProperty("seenAt").GetRawText();
        return template.Data
            .Replace($"\"{template.Id}\"", $"\"{id}\"", StringComparison.Ordinal)
            .Replace(seenAt, JsonSerializer.Serialize(at), StringComparison.Ordinal);
    }

    private static async Task<List<CallRecordEntry>> TemplatesAsync()
    {
        InMemoryStateStore memory = new();
        ApprovalService service = new(memory, Rules.Options());
        int n = 0;
        IChatClient gate = new ChatClientBuilder(new OneCallModel(() => Call(n))).UseApprovalGate(service).Build();
        for (n = 0; n < Templates; n++)
        {
            CallerContext caller = new() { UserId = $"user-{n % 500}", TenantId = $"tenant-{n % 20}", ConversationId = $"conv-{n}" };
            await gate.GetResponseAsync([new ChatMessage(ChatRole.User, "do it")], new ChatOptions().WithCallerContext(caller));
        }

        await service.FlushCallRecordsAsync();
        CallRecordPage page = await memory.ListCallRecordsAsync(new CallRecordQuery { PageSize = Templates });
        return page.Entries.Count == Templates ? [.. page.Entries] : throw new InvalidOperationException($"{page.Entries.Count} templates recorded.");
    }

    /// <summary>Calls decided at once: half small transfers, a third balance checks, the rest deposits.</summary>
    private static FunctionCallContent Call(int n) => (n % 6) switch
    {
        0 or 1 or 2 => new FunctionCallContent($"c{n}", "transfer", new Dictionary<string, object?> { ["to"] = $"acct-{n % 97}", ["amount"] = 1 + (n % 100) }),
        3 or 4 => new FunctionCallContent($"c{n}", "check_balance", new Dictionary<string, object?> { ["account"] = $"acct-{n % 97}" }),
        _ => new FunctionCallContent($"c{n}", "deposit", new Dictionary<string, object?> { ["amount"] = 10 + (n % 400) }),
    };

    private static async Task ApprovalsAsync(PostgreSqlStateStore store, int count)
    {
        ApprovalService service = new(store, Rules.Options());
        Approver teller = new("teller");
        int next = -1;
        await Parallel.ForEachAsync(Enumerable.Range(0, 4), async (_, cancellationToken) =>
        {
            for (int n = Interlocked.Increment(ref next); n < count; n = Interlocked.Increment(ref next))
            {
                int amount = 101 + (n * 37 % 4900);
                IChatClient gate = new ChatClientBuilder(new OneCallModel(() =>
                    new FunctionCallContent($"h{n}", "transfer", new Dictionary<string, object?> { ["to"] = $"acct-{n % 97}", ["amount"] = amount })))
                    .UseApprovalGate(service).Build();
                CallerContext caller = new() { UserId = $"user-{n % 500}", TenantId = $"tenant-{n % 20}", ConversationId = $"held-{n}" };
                try
                {
                    await gate.GetResponseAsync([new ChatMessage(ChatRole.User, $"transfer {amount} to acct-{n % 97}")], new ChatOptions().WithCallerContext(caller), cancellationToken);
                    throw new InvalidOperationException("The transfer was not held.");
                }
                catch (PendingApprovalException pause)
                {
                    ApprovalDecision? decision = (n % 10) switch
                    {
                        < 7 => ApprovalDecision.Approve(teller),
                        < 9 => ApprovalDecision.Reject(teller, $"Not what {caller.UserId} asked for (case {n})"),
                        _ => null,
                    };
                    if (decision is not null)
                    {
                        await service.DecideAsync(pause.Approval.Id, $"h{n}", decision, cancellationToken);
                    }
                }
            }
        });
    }
}
