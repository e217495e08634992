using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using HumanInLoop;

// Mutates a real stored approval (the v1 snapshot the tests keep) in many ways and reads each mutant through
// ApprovalService.GetAsync, as a store would hand it back. The promise: only typed errors (ApprovalException), no
// other exception, no hang. Usage: dotnet run -c Release --project benchmarks/StateFuzz -- [count] [seed]
int count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
int seed = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20261129;
string snapshot = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "pending-approval-v1.json")))!.ToJsonString();
string id = JsonNode.Parse(snapshot)!["id"]!.GetValue<string>();
string[] tokens = ["{", "}", "[", "]", ",", ":", "\"", "null", "1e999", "-0", "\\u0000", "\\ud800", "\"$type\":\"x\"", "\"$type\":\"functionCall\"", "true", " ", "\u0000", "\uFFFF"];

long loaded = 0, refused = 0, slowest = 0;
ConcurrentQueue<string> crashes = new();
Stopwatch total = Stopwatch.StartNew();
Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new Worker(id), (i, _, worker) =>
{
    Random random = new(HashCode.Combine(seed, i));
    string mutant = Mutate(snapshot, random, tokens);
    long started = Stopwatch.GetTimestamp();
    try
    {
        worker.ReadAsync(mutant).GetAwaiter().GetResult();
        Interlocked.Increment(ref loaded);
    }
    catch (ApprovalException)
    {
        Interlocked.Increment(ref refused);
    }
    catch (Exception exception)
    {
        if (crashes.Count < 20)
        {
            crashes.Enqueue($"#{i}: {exception.GetType().Name}: {exception.Message}");
        }
    }

    long elapsed = Stopwatch.GetTimestamp() - started;
    long seen;
    while (elapsed > (seen = Interlocked.Read(ref slowest)) && Interlocked.CompareExchange(ref slowest, elapsed, seen) != seen)
    {
    }

    return worker;
}, _ => { });

Console.WriteLine($"{count} mutants of a {snapshot.Length}-character approval (seed {seed}) in {total.Elapsed.TotalSeconds:F1} s on {Environment.ProcessorCount} threads");
Console.WriteLine($"loaded {loaded}, refused with a typed error {refused}, other exceptions {count - loaded - refused}");
Console.WriteLine($"slowest single read: {Stopwatch.GetElapsedTime(0, slowest).TotalMilliseconds:F1} ms");
foreach (string crash in crashes)
{
    Console.WriteLine("  " + crash);
}

return count == loaded + refused ? 0 : 1;

static string Mutate(string json, Random random, string[] tokens)
{
    int rounds = 1 + random.Next(3);
    for (int r = 0; r < rounds; r++)
    {
        json = random.Next(5) switch
        {
            0 => Flip(json, random),
            1 => RemoveSpan(json, random),
            2 => json.Insert(random.Next(json.Length), tokens[random.Next(tokens.Length)]),
            3 => TryReplaceNode(json, random),
            _ => json[..random.Next(json.Length)],
        };
        if (json.Length == 0)
        {
            break;
        }
    }

    return json;
}

static string RemoveSpan(string json, Random random)
{
    int at = random.Next(json.Length);
    return json.Remove(at, Math.Min(1 + random.Next(16), json.Length - at));
}

static string Flip(string json, Random random)
{
    char[] chars = json.ToCharArray();
    int at = random.Next(chars.Length);
    chars[at] = (char)(chars[at] ^ (1 << random.Next(16)));
    return new string(chars);
}

static string TryReplaceNode(string json, Random random)
{
    try
    {
        return ReplaceNode(json, random);
    }
    catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
    {
        return json; // the mutator could not handle this input (duplicate keys, depth): leave it as it is
    }
}

// Structure-aware: valid JSON, wrong shape (a value of another type, a huge number, a deep nest, a removed member).
static string ReplaceNode(string json, Random random)
{
    JsonNode? root;
    try
    {
        root = JsonNode.Parse(json);
    }
    catch (System.Text.Json.JsonException)
    {
        return json;
    }

    if (root is null)
    {
        return json;
    }

    List<(JsonNode Parent, object Key)> slots = [];
    Collect(root, slots);
    if (slots.Count == 0)
    {
        return json;
    }

    (JsonNode parent, object key) = slots[random.Next(slots.Count)];
    JsonNode? value = random.Next(9) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next() % 2 == 0),
        2 => JsonValue.Create(-random.NextInt64()),
        3 => JsonValue.Create("x"),
        4 => new JsonObject(),
        5 => new JsonArray(),
        6 => Nest(50 + random.Next(250)),
        7 => JsonValue.Create(new string('a', random.Next(100_000))),
        _ => JsonValue.Create("1970-01-01T00:00:00+00:00"),
    };
    if (random.Next(10) == 0 && parent is JsonObject removeFrom && key is string name)
    {
        removeFrom.Remove(name);
    }
    else if (parent is JsonObject obj)
    {
        obj[(string)key] = value;
    }
    else if (parent is JsonArray array)
    {
        array[(int)key] = value;
    }

    return root.ToJsonString();
}

static void Collect(JsonNode node, List<(JsonNode, object)> slots)
{
    switch (node)
    {
        case JsonObject obj:
            foreach ((string name, JsonNode? child) in obj.ToList())
            {
                slots.Add((obj, name));
                if (child is not null)
                {
                    Collect(child, slots);
                }
            }

            break;
        case JsonArray array:
            for (int i = 0; i < array.Count; i++)
            {
                slots.Add((array, i));
                if (array[i] is { } child)
                {
                    Collect(child, slots);
                }
            }

            break;
    }
}

static JsonNode Nest(int depth)
{
    JsonArray root = [];
    JsonArray current = root;
    for (int i = 0; i < depth; i++)
    {
        JsonArray next = [];
        current.Add(next);
        current = next;
    }

    return root;
}

/// <summary>One thread's service, over a store that hands back whatever mutant it is given, under the snapshot's id and status.</summary>
internal sealed class Worker
{
    private readonly MutantStore _store = new();
    private readonly ApprovalService _approvals;
    private readonly string _id;

    public Worker(string id)
    {
        _id = id;
        _approvals = new ApprovalService(_store, new ApprovalOptions());
    }

    public async Task ReadAsync(string mutant)
    {
        _store.Current = new StateEntry(_id, "conv-1", ApprovalStatus.Decided, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, mutant);
        _ = await _approvals.GetAsync(_id);
    }

    private sealed class MutantStore : IStateStore
    {
        public StateEntry? Current { get; set; }

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => Task.FromResult(Current);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) => Task.FromResult(false);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
