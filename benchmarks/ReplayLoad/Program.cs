using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HumanInLoop;
using HumanInLoop.PostgreSql;
using Microsoft.Extensions.AI;
using Npgsql;

// Replay at a million calls (benchmarks/README.md). One process per step, so that each replay's peak working set is its own:
//   seed   <calls> <approvals> <schema>   drops and fills a schema: call records through ICallRecordStore.AppendCallRecordsAsync
//                                         (batches of 5,000; Data as the gate writes it) and approvals made through the gate
//   replay <schema> [allow-all]           times ApprovalHistory.ReplayAsync with a candidate that does not read the conversation
//                                         (allow-all: one that reads nothing, to separate reading from judging)
//   read   <schema> [pageSize]            times the listing alone (pages of pageSize, default 1,000), then ApprovalHistory.ReadAsync (listing + reading), no policy
string connection = Environment.GetEnvironmentVariable("HUMANINLOOP_POSTGRES") is { Length: > 0 } value
    ? value
    : throw new InvalidOperationException("Set HUMANINLOOP_POSTGRES (source .ci/services/postgres.sh start).");
switch (args)
{
    case ["seed", string calls, string approvals, string schema]:
        await Seed.RunAsync(connection, int.Parse(calls, CultureInfo.InvariantCulture), int.Parse(approvals, CultureInfo.InvariantCulture), schema);
        return 0;
    case ["replay", string schema]:
        await Measure.ReplayAsync(connection, schema, Rules.Candidate());
        return 0;
    case ["replay", string schema, "allow-all"]:
        await Measure.ReplayAsync(connection, schema, [ApprovalPolicy.Create(_ => PolicyVerdict.Allow)]);
        return 0;
    case ["read", string schema, ..] when args.Length <= 3:
        await Measure.ReadAsync(connection, schema, args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000);
        return 0;
    case ["deserialize", string schema]:
        await Measure.DeserializeAsync(connection, schema);
        return 0;
    default:
        Console.Error.WriteLine("Usage: ReplayLoad seed <calls> <approvals> <schema> | replay <schema> [allow-all] | read <schema> [pageSize]");
        return 2;
}

/// <summary>The bank's rules as the recorded traffic saw them, and the looser candidate that is replayed.</summary>
internal static class Rules
{
    public static ApprovalOptions Options()
    {
        ApprovalOptions options = new()
        {
            Policies =
            {
                ApprovalPolicy.Named("reads-and-deposits", ApprovalPolicy.Allow("check_balance", "deposit")),
                ApprovalPolicy.Named("transfers-over-100", ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 100, "Transfers over $100 need a person")),
            },
        };
        options.ShadowPolicies.Add(ApprovalPolicy.Named("transfers-over-1000", ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 1000, "Transfers over $1,000 need a person")));
        return options;
    }

    /// <summary>Reads the arguments of transfers (typed), never the conversation.</summary>
    public static IApprovalPolicy[] Candidate() =>
    [
        ApprovalPolicy.Named("reads-and-deposits", ApprovalPolicy.Allow("check_balance", "deposit")),
        ApprovalPolicy.Named("transfers-up-to-1000", ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 1000, "Transfers over $1,000 need a person")),
    ];

    public static PostgreSqlStateStore Store(string connection, string schema) =>
        new(new PostgreSqlStateStoreOptions { ConnectionString = connection, Schema = schema });
}

internal sealed record Transfer(string To, decimal Amount);

/// <summary>A model that makes one tool call per request, chosen by the test: the gate sees it, nothing runs it.</summary>
internal sealed class OneCallModel(Func<FunctionCallContent> next) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [next()])));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield return new ChatResponseUpdate(ChatRole.Assistant, [next()]);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>Samples the managed heap while the replay runs (synchronously, on the replay's own thread).</summary>
internal sealed class HeapSampler : IProgress<ReplayProgress>
{
    public long PeakHeap { get; private set; }

    public void Report(ReplayProgress value)
    {
        if (value.Replayed % 50_000 == 0)
        {
            PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(forceFullCollection: false));
        }
    }
}

internal static class Measure
{
    public static async Task ReplayAsync(string connection, string schema, IApprovalPolicy[] candidate)
    {
        await using PostgreSqlStateStore store = Rules.Store(connection, schema);
        ApprovalService service = new(store, Rules.Options());
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        HeapSampler sampler = new();
        using Process self = Process.GetCurrentProcess();
        TimeSpan cpu = self.TotalProcessorTime;
        Stopwatch clock = Stopwatch.StartNew();
        ReplayReport report = await service.History.ReplayAsync(candidate, progress: sampler);
        clock.Stop();
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpu).TotalSeconds;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replay schema={schema} calls={report.Calls} seconds={clock.Elapsed.TotalSeconds:0.00} calls/s={report.Calls / clock.Elapsed.TotalSeconds:0} cpu-seconds={cpuSeconds:0.00} calls/cpu-s={report.Calls / cpuSeconds:0} " +
            $"would-allow={report.WouldAllow} would-ask={report.WouldRequireApproval} false-approvals={report.FalseApprovalCount} needless-asks={report.NeedlessAskCount} " +
            $"automation={report.AutomationRate:P1} recorded={report.RecordedAutomationRate:P1} " +
            $"peak-working-set-MB={self.PeakWorkingSet64 / 1048576.0:0} heap-before-MB={heapBefore / 1048576.0:0.0} heap-peak-sampled-MB={sampler.PeakHeap / 1048576.0:0.0} heap-after-MB={heapAfter / 1048576.0:0.0} " +
            $"gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)}"));
        GC.KeepAlive(report);
    }

    /// <summary>Deserializes 1,000 stored records 1,000 times with the library's options: the reading cost without the store.</summary>
    public static async Task DeserializeAsync(string connection, string schema)
    {
        await using PostgreSqlStateStore store = Rules.Store(connection, schema);
        IReadOnlyList<CallRecordEntry> entries = (await store.ListCallRecordsAsync(new CallRecordQuery { PageSize = 1000 })).Entries;
        JsonSerializerOptions options = new(AIJsonUtilities.DefaultOptions)
        {
            AllowOutOfOrderMetadataProperties = true,
            MaxDepth = 64,
            TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
                AIJsonUtilities.DefaultOptions.TypeInfoResolver, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
        };
        options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        // The library's own reader (internal), reached by reflection: what CallRecordFormat.Read costs per record.
        Func<CallRecordEntry, RecordedCall> read = typeof(ApprovalService).Assembly.GetType("HumanInLoop.Internal.CallRecordFormat")!
            .GetMethod("Read")!.CreateDelegate<Func<CallRecordEntry, RecordedCall>>();
        foreach (string mode in new[] { "parse", "deserialize", "library", "parse", "deserialize", "library" })
        {
            Stopwatch clock = Stopwatch.StartNew();
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (int round = 0; round < 1000; round++)
            {
                foreach (CallRecordEntry entry in entries)
                {
                    if (mode == "parse")
                    {
                        using JsonDocument document = JsonDocument.Parse(entry.Data);
                    }
                    else if (mode == "deserialize")
                    {
                        _ = JsonSerializer.Deserialize<RecordedCall>(entry.Data, options);
                    }
                    else
                    {
                        _ = read(entry);
                    }
                }
            }

            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode} records=1000000 seconds={clock.Elapsed.TotalSeconds:0.00} cpu-seconds={cpuSeconds:0.00} µs/record(cpu)={cpuSeconds:0.00}"));
        }
    }

    private static double Cpu(Process self, ref TimeSpan since)
    {
        self.Refresh();
        TimeSpan now = self.TotalProcessorTime;
        double seconds = (now - since).TotalSeconds;
        since = now;
        return seconds;
    }

    public static async Task ReadAsync(string connection, string schema, int pageSize)
    {
        await using PostgreSqlStateStore store = Rules.Store(connection, schema);
        using Process self = Process.GetCurrentProcess();
        TimeSpan cpu = self.TotalProcessorTime;
        Stopwatch clock = Stopwatch.StartNew();
        long rows = 0;
        CallRecordQuery query = new() { PageSize = pageSize };
        do
        {
            CallRecordPage page = await store.ListCallRecordsAsync(query);
            rows += page.Entries.Count;
            query = query with { ContinuationToken = page.ContinuationToken };
        }
        while (query.ContinuationToken is not null);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"list-call-records page-size={pageSize} rows={rows} seconds={clock.Elapsed.TotalSeconds:0.00} rows/s={rows / clock.Elapsed.TotalSeconds:0} cpu-seconds={Cpu(self, ref cpu):0.00}"));
        ApprovalService service = new(store, Rules.Options());
        clock.Restart();
        long calls = 0;
        await foreach (RecordedCall call in service.History.ReadAsync())
        {
            calls += call.Arguments.ValueKind == JsonValueKind.Object ? 1 : 0;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"history-read calls={calls} seconds={clock.Elapsed.TotalSeconds:0.00} calls/s={calls / clock.Elapsed.TotalSeconds:0} cpu-seconds={Cpu(self, ref cpu):0.00}"));
    }
}
