using System.Globalization;
using System.Text.Json;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/HumanInLoop.Benchmarks -- capture [--out DIR] [--show-data]</c>: runs one whole approval
/// (hold → read → decide → resume → the model answers) through HumanInLoop over a <see cref="RecordingStateStore"/>, on each store
/// (in memory, SQLite, and PostgreSQL when HUMANINLOOP_POSTGRES is set) for 10, 100 and 1,000 messages, and prints, per step, each
/// durable write with the sizes of what it wrote and each read with the sizes of what it returned. <c>--out DIR</c> also writes each
/// operation's exact parameters (every column, text byte for byte) to a JSON file; <c>--show-data</c> prints the data column of each
/// write at 10 messages.
/// </summary>
public static class CaptureMode
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        string? output = args.SkipWhile(arg => arg != "--out").Skip(1).FirstOrDefault();
        bool showData = args.Contains("--show-data");
        if (BenchmarkStores.PostgresConnectionString is null)
        {
            Console.WriteLine("HUMANINLOOP_POSTGRES is not set: PostgreSQL is skipped (source .ci/services/postgres.sh start, or set it to a connection string).");
        }

        foreach (string kind in BenchmarkStores.Available())
        {
            foreach (int messages in new[] { 10, 100, 1000 })
            {
                (IStateStore store, _, Func<Task> cleanup) = await BenchmarkStores.CreateAsync(kind);
                try
                {
                    RecordingStateStore recorder = new(store);
                    ApprovalCycle cycle = new(recorder, messages);
                    string answer = await cycle.HumanInLoopAsync(step => recorder.Step = step);
                    if (answer != ApprovalCycle.Answer || cycle.Transfers != 1)
                    {
                        throw new InvalidOperationException($"The approval did not complete: answer '{answer}', {cycle.Transfers} transfer(s).");
                    }

                    Print(kind, messages, recorder.Operations, showData && messages == 10);
                    if (output is not null)
                    {
                        Write(Path.Combine(output, $"{kind}-{messages}"), recorder.Operations);
                    }
                }
                finally
                {
                    await cleanup();
                }
            }
        }

        return 0;
    }

    private static void Print(string kind, int messages, IReadOnlyList<StoreOperation> operations, bool showData)
    {
        Console.WriteLine();
        Console.WriteLine($"## {kind}, {messages} messages: {operations.Count(o => o.IsWrite)} durable writes, {operations.Count(o => !o.IsWrite)} reads");
        Console.WriteLine();
        Console.WriteLine("| # | Step | Operation | Durable write | Version | Status | data (B) | history (B) | all parameters / returned (B) |");
        Console.WriteLine("| ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: |");
        int n = 0;
        foreach (StoreOperation operation in operations)
        {
            string version = operation.Entry is null ? "" : operation.ExpectedVersion is { } expected ? $"{expected} → {operation.Entry.Version}" : operation.Entry.Version.ToString(CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {++n} | {operation.Step} | {operation.Operation}{(operation.Rows is { } rows ? $" ({rows} rows)" : "")} | {(operation.IsWrite ? "yes" : "no (read)")} | {version} | {operation.Entry?.Status} | {operation.DataBytes:N0} | {operation.HistoryBytes:N0} | {operation.ParameterBytes:N0} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| Step | Durable writes | Bytes written | Reads | Bytes read |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (IGrouping<string, StoreOperation> step in operations.GroupBy(o => o.Step))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {step.Key} | {step.Count(o => o.IsWrite)} | {step.Where(o => o.IsWrite).Sum(o => o.ParameterBytes):N0} | {step.Count(o => !o.IsWrite)} | {step.Where(o => !o.IsWrite).Sum(o => o.ParameterBytes):N0} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| **total** | {operations.Count(o => o.IsWrite)} | {operations.Where(o => o.IsWrite).Sum(o => o.ParameterBytes):N0} | {operations.Count(o => !o.IsWrite)} | {operations.Where(o => !o.IsWrite).Sum(o => o.ParameterBytes):N0} |"));
        if (showData)
        {
            n = 0;
            foreach (StoreOperation operation in operations)
            {
                n++;
                if (operation.IsWrite && operation.Entry is { } entry)
                {
                    Console.WriteLine();
                    Console.WriteLine($"{n}. {operation.Step} {operation.Operation}, version {entry.Version}, data:");
                    Console.WriteLine(entry.Data);
                }
            }
        }
    }

    private static void Write(string directory, IReadOnlyList<StoreOperation> operations)
    {
        Directory.CreateDirectory(directory);
        int n = 0;
        foreach (StoreOperation operation in operations)
        {
            StateEntry? entry = operation.Entry;
            var parameters = new
            {
                operation.Step,
                operation.Operation,
                operation.IsWrite,
                operation.Succeeded,
                operation.ExpectedVersion,
                operation.Rows,
                Id = entry?.Id,
                ConversationId = entry?.ConversationId,
                TenantId = entry?.TenantId,
                Status = entry?.Status.ToString(),
                CreatedAtUnixMs = entry?.CreatedAt.ToUnixTimeMilliseconds(),
                ExpiresAtUnixMs = entry?.ExpiresAt.ToUnixTimeMilliseconds(),
                UpdatedAtUnixMs = entry?.UpdatedAt.ToUnixTimeMilliseconds(),
                Version = entry?.Version,
                Data = entry?.Data,
                History = entry?.History,
            };
            File.WriteAllText(Path.Combine(directory, $"{++n:D2}-{operation.Step}-{operation.Operation}.json"), JsonSerializer.Serialize(parameters, Indented));
        }
    }
}
