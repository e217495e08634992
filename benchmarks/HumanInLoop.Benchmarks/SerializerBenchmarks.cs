using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// Writing and reading one pending approval with <see cref="PendingApprovalSerializer"/>, against writing and reading its bare
/// message history (<c>List&lt;ChatMessage&gt;</c>) with <see cref="AIJsonUtilities.DefaultOptions"/>: the floor, what any saved
/// conversation costs. The "JSON bytes" column is the UTF-8 size of what each benchmark writes or reads.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
[Config(typeof(Config))]
public class SerializerBenchmarks
{
    private PendingApproval _approval = null!;
    private List<ChatMessage> _messages = null!;
    private string _approvalJson = "";
    private string _messagesJson = "";
    private string _messagesCompactJson = "";

    [Params(10, 100, 1000)]
    public int Messages { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_approval, _messages, _approvalJson, _messagesJson) = await Payloads.GetAsync(Messages);
        _messagesCompactJson = JsonSerializer.Serialize(_messages, Payloads.LibraryOptions);
        if (_messages.Count != Messages)
        {
            throw new InvalidOperationException($"Setup check failed: {_messages.Count} messages.");
        }

        // Both approval rows write the same JSON, cached history or not.
        string cached = PendingApprovalSerializer.Serialize(_approval);
        if (SerializeApprovalFirstWrite() != cached || SerializeApproval() != cached || cached != _approvalJson)
        {
            throw new InvalidOperationException("Setup check failed: the first and a later write of the approval differ.");
        }

        Console.WriteLine($"// History JSON cache in this library: {(HistoryJsonCache.Present ? "yes (the first-write row forgets it)" : "no (both approval rows measure the same)")}");
    }

    [BenchmarkCategory("Serialize"), Benchmark(Baseline = true, Description = "List<ChatMessage> (floor)")]
    public string SerializeMessages() => JsonSerializer.Serialize(_messages, AIJsonUtilities.DefaultOptions);

    [BenchmarkCategory("Serialize"), Benchmark(Description = "List<ChatMessage>, library's options")]
    public string SerializeMessagesLibraryOptions() => JsonSerializer.Serialize(_messages, Payloads.LibraryOptions);

    [BenchmarkCategory("Serialize"), Benchmark(Description = "PendingApproval")]
    public string SerializeApproval() => PendingApprovalSerializer.Serialize(_approval);

    /// <summary>
    /// The first save of an approval, at the hold: since c9348f5 the approval keeps its history's JSON once written or read
    /// (so the row above measures every later save), and this row forgets it before writing. On a library without that cache
    /// the two rows measure the same thing.
    /// </summary>
    [BenchmarkCategory("Serialize"), Benchmark(Description = "PendingApproval, first write")]
    public string SerializeApprovalFirstWrite()
    {
        HistoryJsonCache.Forget(_approval);
        return PendingApprovalSerializer.Serialize(_approval);
    }

    [BenchmarkCategory("Deserialize"), Benchmark(Baseline = true, Description = "List<ChatMessage> (floor)")]
    public List<ChatMessage>? DeserializeMessages() => JsonSerializer.Deserialize<List<ChatMessage>>(_messagesJson, AIJsonUtilities.DefaultOptions);

    [BenchmarkCategory("Deserialize"), Benchmark(Description = "List<ChatMessage>, library's options")]
    public List<ChatMessage>? DeserializeMessagesLibraryOptions() => JsonSerializer.Deserialize<List<ChatMessage>>(_messagesCompactJson, Payloads.LibraryOptions);

    [BenchmarkCategory("Deserialize"), Benchmark(Description = "PendingApproval")]
    public PendingApproval DeserializeApproval() => PendingApprovalSerializer.Deserialize(_approvalJson);

    /// <summary>
    /// Forgets the history JSON an approval keeps, as at the hold: gives the approval its own messages again through the internal
    /// setter of <see cref="PendingApproval.Messages"/> (by reflection: the library exposes no way to clear it), which keeps the
    /// list and no JSON. Does nothing on a library without that setter. A few tens of nanoseconds and one small object.
    /// </summary>
    private static class HistoryJsonCache
    {
        private static readonly MethodInfo? SetMessages = typeof(PendingApproval).GetProperty(nameof(PendingApproval.Messages))?.GetSetMethod(nonPublic: true);

        /// <summary>Gets whether this library keeps the history's JSON (and so whether the first-write row differs).</summary>
        public static bool Present => SetMessages is not null;

        public static void Forget(PendingApproval approval) => SetMessages?.Invoke(approval, [approval.Messages]);
    }

    /// <summary>The same approval (and its history) for the benchmark process and for the size column in the host process.</summary>
    internal static class Payloads
    {
        /// <summary>
        /// A copy of the options <see cref="PendingApprovalSerializer"/> uses (internal HumanInLoopJson.StateOptions, rebuilt the
        /// same way): to tell the cost of the options (not indented; <c>$type</c> accepted out of order) from the cost of what an
        /// approval holds beyond its messages.
        /// </summary>
        public static readonly JsonSerializerOptions LibraryOptions = CreateLibraryOptions();

        private static readonly ConcurrentDictionary<int, Task<(PendingApproval, List<ChatMessage>, string, string)>> Cache = new();

        public static Task<(PendingApproval Approval, List<ChatMessage> Messages, string ApprovalJson, string MessagesJson)> GetAsync(int messages) =>
            Cache.GetOrAdd(messages, async count =>
            {
                PendingApproval approval = await BenchmarkStores.MakeApprovalAsync(count);
                List<ChatMessage> history = [.. approval.Messages];
                return (approval, history, PendingApprovalSerializer.Serialize(approval), JsonSerializer.Serialize(history, AIJsonUtilities.DefaultOptions));
            });

        private static JsonSerializerOptions CreateLibraryOptions()
        {
            JsonSerializerOptions options = new(AIJsonUtilities.DefaultOptions)
            {
                AllowOutOfOrderMetadataProperties = true,
                MaxDepth = 64,
                WriteIndented = false,
                TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
                    AIJsonUtilities.DefaultOptions.TypeInfoResolver, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
            };
            options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            options.MakeReadOnly();
            return options;
        }
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new JsonSizeColumn());
    }

    /// <summary>The UTF-8 size of the JSON a benchmark writes or reads.</summary>
    private sealed class JsonSizeColumn : IColumn
    {
        public string Id => nameof(JsonSizeColumn);

        public string ColumnName => "JSON bytes";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Size;

        public string Legend => "UTF-8 size of the JSON written or read";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            int messages = (int)benchmarkCase.Parameters[nameof(Messages)];
            var payload = Payloads.GetAsync(messages).GetAwaiter().GetResult();
            string name = benchmarkCase.Descriptor.WorkloadMethod.Name;
            string json = name.Contains("Approval", StringComparison.Ordinal) ? payload.ApprovalJson
                : name.EndsWith("LibraryOptions", StringComparison.Ordinal) ? JsonSerializer.Serialize(payload.Messages, Payloads.LibraryOptions)
                : payload.MessagesJson;
            return Encoding.UTF8.GetByteCount(json).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
