using System.Diagnostics;
using System.Globalization;
using HumanInLoop;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ManyServers;

/// <summary>Prepares a fresh store, starts the approver and the workers, waits for them, then checks and reports.</summary>
internal sealed class Harness(string store, int seconds, int workers, int conversations, int pollMs, int approverParallel, int pool, bool keep, bool sabotage)
{
    private static readonly TimeSpan s_startDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_drain = TimeSpan.FromMinutes(3);

    public async Task<int> RunAsync()
    {
        if (store is not ("pg" or "sqlite"))
        {
            throw new ArgumentException($"--store is pg or sqlite, not '{store}'");
        }

        string runId = Clock.Format($"{DateTime.UtcNow:yyyyMMddHHmmss}_{Environment.ProcessId}");
        string results = Path.Combine(Path.GetTempPath(), $"manyservers-{store}-{runId}");
        Directory.CreateDirectory(results);
        Settings settings = new(store, store == "pg" ? $"many_{runId}" : "many_", results, pool);
        await PrepareAsync(settings);
        long startUs = Clock.NowUs() + (long)s_startDelay.TotalMicroseconds;
        long untilUs = startUs + (seconds * 1_000_000L);
        Console.WriteLine(Clock.Format($"store={store} scope={settings.Scope} results={results} workers={workers} conversations={conversations} seconds={seconds} poll-ms={pollMs} approver-parallel={approverParallel} pool={pool}"));

        int exit;
        using (Process approver = Start(settings, "approver", ["--parallel", Str(approverParallel), "--poll-ms", Str(pollMs)], redirectInput: true))
        {
            List<Process> servers = [.. Enumerable.Range(0, workers).Select(k => Start(settings, $"worker-{k}",
                ["--index", Str(k), "--conversations", Str(conversations), "--start-us", Str(startUs), "--until-us", Str(untilUs), "--poll-ms", Str(pollMs), .. (sabotage && k == 0 ? ["--sabotage"] : Array.Empty<string>())],
                redirectInput: false))];
            Task<string> boxCpu = BoxCpuAsync(startUs, untilUs);
            Task<string> serverCpu = settings.IsPostgres ? PostgresCpuAsync(settings, startUs, untilUs) : Task.FromResult("");
            using CancellationTokenSource timeout = new(s_startDelay + TimeSpan.FromSeconds(seconds) + s_drain);
            try
            {
                await Task.WhenAll(servers.Select(p => p.WaitForExitAsync(timeout.Token)));
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("workers did not finish within the drain time; killing them");
                servers.ForEach(p => p.Kill(entireProcessTree: true));
            }

            exit = servers.Any(p => !p.HasExited || p.ExitCode != 0) ? 1 : 0;
            servers.ForEach(p => p.Dispose());
            approver.StandardInput.Close();
            await approver.WaitForExitAsync();
            Console.WriteLine(await boxCpu);
            Console.WriteLine(await serverCpu);
        }

        Report report = await Report.BuildAsync(settings, startUs, untilUs, seconds);
        report.Print();
        if (!keep)
        {
            await CleanUpAsync(settings);
        }

        return report.Clean && exit == 0 ? 0 : 1;
    }

    /// <summary>How busy the box's CPUs were during the window (all processes, ours and others'), from /proc/stat.</summary>
    private static async Task<string> BoxCpuAsync(long startUs, long untilUs)
    {
        if (!File.Exists("/proc/stat"))
        {
            return "box cpu: unknown (no /proc/stat)";
        }

        await Task.Delay(TimeSpan.FromMicroseconds(Math.Max(0, startUs - Clock.NowUs())));
        (long busy0, long total0) = await ReadCpuAsync();
        await Task.Delay(TimeSpan.FromMicroseconds(Math.Max(0, untilUs - Clock.NowUs())));
        (long busy1, long total1) = await ReadCpuAsync();
        return Clock.Format($"box cpu during the window: {100.0 * (busy1 - busy0) / Math.Max(1, total1 - total0):0}% busy over {Environment.ProcessorCount} cpus");
    }

    /// <summary>
    /// CPU time of the PostgreSQL server processes serving this run's connections (found by application name) during the
    /// window: their time at its end minus, for those already there, their time at its start (Linux /proc, 100 ticks a second).
    /// </summary>
    private static async Task<string> PostgresCpuAsync(Settings settings, long startUs, long untilUs)
    {
        await Task.Delay(TimeSpan.FromMicroseconds(Math.Max(0, startUs - Clock.NowUs())));
        Dictionary<int, long> before = await BackendTicksAsync(settings);
        await Task.Delay(TimeSpan.FromMicroseconds(Math.Max(0, untilUs - Clock.NowUs())));
        Dictionary<int, long> after = await BackendTicksAsync(settings);
        long ticks = after.Sum(b => b.Value - before.GetValueOrDefault(b.Key));
        return Clock.Format($"postgres backends of this run during the window: {after.Count} processes, {ticks / 100.0:0.0} cpu s");
    }

    private static async Task<Dictionary<int, long>> BackendTicksAsync(Settings settings)
    {
        await using NpgsqlDataSource admin = NpgsqlDataSource.Create(settings.Connection);
        await using NpgsqlCommand command = admin.CreateCommand("SELECT pid FROM pg_stat_activity WHERE application_name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.ApplicationName });
        Dictionary<int, long> ticks = [];
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            int pid = reader.GetInt32(0);
            string path = $"/proc/{pid}/stat";
            try
            {
                // Fields after "(comm) ": state is 3rd, utime and stime are the 14th and 15th of the whole line.
                string line = await File.ReadAllTextAsync(path);
                string[] fields = line[(line.LastIndexOf(')') + 2)..].Split(' ');
                ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The backend ended between the query and the read.
            }
        }

        return ticks;
    }

    private static async Task<(long Busy, long Total)> ReadCpuAsync()
    {
        // cpu user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
        long[] fields = [.. (await File.ReadAllLinesAsync("/proc/stat"))[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture))];
        long total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task PrepareAsync(Settings settings)
    {
        if (settings.IsPostgres)
        {
            await using NpgsqlDataSource admin = NpgsqlDataSource.Create(settings.Connection);
            await using NpgsqlCommand create = admin.CreateCommand($"CREATE SCHEMA \"{settings.Scope}\"");
            await create.ExecuteNonQueryAsync();
            await using PostgreSqlStateStore pg = (PostgreSqlStateStore)settings.OpenStore();
            await pg.InitializeAsync();
        }
        else
        {
            await ((SqliteStateStore)settings.OpenStore()).InitializeAsync();
        }

        await settings.OpenLedger().EnsureCreatedAsync();
    }

    private static async Task CleanUpAsync(Settings settings)
    {
        if (settings.IsPostgres)
        {
            await using NpgsqlDataSource admin = NpgsqlDataSource.Create(settings.Connection);
            await using NpgsqlCommand drop = admin.CreateCommand($"DROP SCHEMA \"{settings.Scope}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(settings.ResultsDir, recursive: true);
        Console.WriteLine($"cleaned up {settings.Scope} and {settings.ResultsDir}");
    }

    private static Process Start(Settings settings, string name, string[] arguments, bool redirectInput)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        ProcessStartInfo info = new(self)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Harness).Assembly.Location);
        }

        info.ArgumentList.Add(name.StartsWith("worker", StringComparison.Ordinal) ? "worker" : name);
        foreach (string argument in arguments.Concat(settings.ToArgs()))
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start");
        process.OutputDataReceived += (_, e) => Print(name, e.Data, Console.Out);
        process.ErrorDataReceived += (_, e) => Print(name, e.Data, Console.Error);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Print(string name, string? line, TextWriter writer)
    {
        if (line is not null)
        {
            writer.WriteLine($"[{name}] {line}");
        }
    }
}
