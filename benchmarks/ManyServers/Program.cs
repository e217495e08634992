using System.Globalization;
using ManyServers;

// Many servers (issue 18, goal 5; results in benchmarks/README.md). One executable, three modes:
//   run      [--store pg|sqlite] [--seconds 120] [--workers 4] [--conversations 50] [--poll-ms 50] [--approver-parallel 8] [--pool 20] [--keep] [--sabotage]
//            the harness: makes a fresh schema (PostgreSQL, HUMANINLOOP_POSTGRES) or database file (SQLite), starts the approver
//            and the workers as separate processes, waits, checks the ledger against the store, prints the figures, cleans up
//            --pool: most PostgreSQL connections per process (store and ledger share them)
//            --sabotage makes worker 0 run one transfer twice and leave one decided approval unresumed: the check must fail
//   worker   --index <k> --conversations <n> --start-us <t> --until-us <t> --poll-ms <ms> [--sabotage] + the run's settings
//   approver --parallel <n> --poll-ms <ms> + the run's settings
// Exit code 0 only when nothing was lost or doubled.
if (args.Length == 0 || args[0] is not ("run" or "worker" or "approver"))
{
    Console.Error.WriteLine("usage: ManyServers run [--store pg|sqlite] [--seconds 120] [--workers 4] [--conversations 50] [--poll-ms 50] [--approver-parallel 8] [--pool 20] [--keep] [--sabotage]");
    return 2;
}

Dictionary<string, string> options = new(StringComparer.Ordinal);
for (int i = 1; i < args.Length; i++)
{
    string key = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : throw new ArgumentException($"unexpected argument '{args[i]}'");
    options[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}

int Int(string key, int fallback) => options.TryGetValue(key, out string? value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
long Long(string key) => long.Parse(options[key], CultureInfo.InvariantCulture);

return args[0] switch
{
    "worker" => await new Worker(Settings.From(options), Int("index", 0), Int("conversations", 50), Long("start-us"), Long("until-us"), Int("poll-ms", 50), options.ContainsKey("sabotage")).RunAsync(),
    "approver" => await new ApproverProcess(Settings.From(options), Int("parallel", 8), Int("poll-ms", 50)).RunAsync(),
    _ => await new Harness(
        options.GetValueOrDefault("store", "pg"),
        Int("seconds", 120),
        Int("workers", 4),
        Int("conversations", 50),
        Int("poll-ms", 50),
        Int("approver-parallel", 8),
        Int("pool", 20),
        options.ContainsKey("keep"),
        options.ContainsKey("sabotage")).RunAsync(),
};
