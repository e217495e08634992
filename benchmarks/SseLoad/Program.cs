// SseLoad: N concurrent chats against the SseChat sample on loopback. Each signs in, asks for a $150 transfer (paused
// for approval over SSE), approves it with the fingerprint shown, and resumes it over SSE. Then it checks the sample's
// SQLite file: every approval completed, exactly one transfer per chat (none lost, none run twice).
//
//   dotnet run -c Release --project benchmarks/SseLoad -- [--chats 200] [--url http://127.0.0.1:5000]
//       [--ramp-seconds 0] [--baseline 20] [--hold]
//
// --baseline N runs N chats one after another first (the unloaded latency of each SSE event); --ramp-seconds spreads the
// starts of the load's chats evenly over that many seconds (0: all at once); --hold makes every chat wait, paused, until all
// have paused, then reads the server's resident memory (the memory of N paused chats at once), and then lets the decisions
// and resumes come spread over the same ramp: N chats live at once, their events at a rate that a person's clicks make.
//
// Without --url it starts the sample itself (dotnet SseChat.dll) on a free loopback port with a fresh data folder, always
// with the scripted model: Model__* and HUMANINLOOP_OPENAI_* variables are not passed on (with --url, that is up to you).
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

int chats = 200;
string? url = null;
double rampSeconds = 0;
int baseline = 20;
bool hold = args.Contains("--hold");
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--chats") { chats = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); }
    else if (args[i] == "--url") { url = args[++i]; }
    else if (args[i] == "--ramp-seconds") { rampSeconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); }
    else if (args[i] == "--baseline") { baseline = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); }
}

string dataDirectory = Path.Combine(Path.GetTempPath(), "sseload-" + Guid.NewGuid().ToString("N"));
Process? server = null;
if (url is null)
{
    Directory.CreateDirectory(dataDirectory);
    (server, url) = await StartServerAsync(dataDirectory);
}

try
{
    Console.WriteLine($"SseLoad: {chats} concurrent chats against {url}");
    // Warm up one chat (JIT, SQLite schema) so the numbers measure steady work, then release all chats at once.
    await RunChatAsync(url, "warmup", new Timings(), null);
    Timings[] unloaded = [.. Enumerable.Range(0, baseline).Select(_ => new Timings())];
    for (int i = 0; i < baseline; i++)
    {
        string? failure = await RunChatAsync(url, $"base{i}", unloaded[i], null);
        if (failure is not null) { Console.WriteLine($"  baseline failure: {failure}"); return 1; }
    }

    long? residentBefore = ResidentBytes(server);
    Timings[] timings = [.. Enumerable.Range(0, chats).Select(_ => new Timings())];
    PausedBarrier? barrier = hold ? new PausedBarrier(chats, () => ResidentBytes(server)) : null;
    Stopwatch wall = Stopwatch.StartNew();
    Task<string?>[] runs = [.. Enumerable.Range(0, chats).Select(i => Task.Run(async () =>
    {
        TimeSpan offset = TimeSpan.FromSeconds(rampSeconds * i / chats);
        await Task.Delay(offset);
        return await RunChatAsync(url, $"load{i}", timings[i], barrier, offset);
    }))];
    string?[] failures = await Task.WhenAll(runs);
    wall.Stop();

    int failed = failures.Count(f => f is not null);
    foreach (string failure in failures.Where(f => f is not null).Distinct().Take(5)!)
    {
        Console.WriteLine($"  failure: {failure}");
    }

    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    Console.WriteLine($"chats: {chats} (starts spread over {rampSeconds:F0} s{(hold ? ", all held paused at once" : "")}), completed: {chats - failed}, failed: {failed}, wall time: {wall.Elapsed.TotalSeconds:F2} s");
    Console.WriteLine($"throughput: {chats / wall.Elapsed.TotalSeconds:F1} chats/s ({5 * chats / wall.Elapsed.TotalSeconds:F0} HTTP requests/s; 5 per chat, 2 of them SSE streams)");
    Console.WriteLine();
    Console.WriteLine("| phase (ms) | p50 | p90 | p99 | max |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
    Row("chat until approval_required", timings.Select(t => t.Pause));
    Row("decide (POST decision)", timings.Select(t => t.Decide));
    Row("resume until done", timings.Select(t => t.Resume));
    Row("whole chat (sign-in to done)", timings.Select(t => t.Total));
    Console.WriteLine();
    Console.WriteLine("Each SSE event's latency: the time from the request, or from the stream's previous event, to this event (the scripted");
    Console.WriteLine("model has no word delay, so all of it is the server's). Unloaded: the baseline chats, one at a time.");
    Console.WriteLine("| SSE event latency (ms) | events | p50 | p90 | p99 | max |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
    EventRow($"unloaded ({baseline} chats in turn)", unloaded.SelectMany(t => t.EventGaps));
    EventRow($"under load ({chats} chats)", timings.SelectMany(t => t.EventGaps));
    if (baseline > 0 && chats > 0)
    {
        double P99(IEnumerable<double> values) => Percentile([.. values.Order()], 0.99);
        Console.WriteLine($"added p99 per event (under load minus unloaded): {P99(timings.SelectMany(t => t.EventGaps)) - P99(unloaded.SelectMany(t => t.EventGaps)):F1} ms");
    }

    if (residentBefore is { } before)
    {
        Console.WriteLine();
        Console.WriteLine($"server resident memory: {before / 1048576.0:F1} MiB before the load, " +
            (barrier?.ResidentAtHold is { } held
                ? $"{held / 1048576.0:F1} MiB with all {chats} chats paused at once: {(held - before) / 1024.0 / chats:F1} KiB per paused chat, "
                : "") +
            $"{ResidentBytes(server) / 1048576.0:F1} MiB after");
    }

    if (server is not null)
    {
        (bool ok, string report) = Verify(Path.Combine(dataDirectory, "sse-chat.db"), chats, baseline);
        Console.WriteLine();
        Console.WriteLine(report);
        return failed == 0 && ok ? 0 : 1;
    }

    return failed == 0 ? 0 : 1;
}
finally
{
    if (server is not null)
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
    }
}

static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1))];

static void Row(string name, IEnumerable<double> values)
{
    double[] sorted = [.. values.Order()];
    Console.WriteLine($"| {name} | {Percentile(sorted, 0.50):F0} | {Percentile(sorted, 0.90):F0} | {Percentile(sorted, 0.99):F0} | {sorted[^1]:F0} |");
}

static void EventRow(string name, IEnumerable<double> values)
{
    double[] sorted = [.. values.Order()];
    if (sorted.Length == 0) { Console.WriteLine($"| {name} | 0 | | | | |"); return; }
    Console.WriteLine($"| {name} | {sorted.Length} | {Percentile(sorted, 0.50):F1} | {Percentile(sorted, 0.90):F1} | {Percentile(sorted, 0.99):F1} | {sorted[^1]:F1} |");
}

// The server's resident set (VmRSS from /proc), or null when it is not our child or /proc is not there.
static long? ResidentBytes(Process? server)
{
    if (server is null || !File.Exists($"/proc/{server.Id}/status")) { return null; }
    foreach (string line in File.ReadLines($"/proc/{server.Id}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    return null;
}

// One chat: sign in, pause, approve, resume. Returns null on success, else what went wrong.
// With a barrier, the chat waits, paused, until all have paused, then its decision comes after the same offset as its start.
static async Task<string?> RunChatAsync(string url, string user, Timings timings, PausedBarrier? barrier, TimeSpan offset = default)
{
    using HttpClientHandler handler = new() { CookieContainer = new CookieContainer(), UseCookies = true };
    using HttpClient http = new(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
    Stopwatch total = Stopwatch.StartNew();
    bool arrived = false;
    try
    {
        (await http.PostAsJsonAsync("/account/signin", new { name = user, approver = true })).EnsureSuccessStatusCode();
        JsonElement token = await http.GetFromJsonAsync<JsonElement>("/api/approvals/antiforgery");
        http.DefaultRequestHeaders.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());

        Stopwatch phase = Stopwatch.StartNew();
        List<(string Event, JsonElement Data)> chat = await StreamAsync(http, "/chat", new { message = "transfer $150 to bob" }, timings.EventGaps);
        timings.Pause = phase.Elapsed.TotalMilliseconds;
        if (barrier is not null)
        {
            arrived = true;
            await barrier.PausedAsync();
            await Task.Delay(offset);
        }

        if (chat[^1].Event != "approval_required")
        {
            if (barrier is not null) { arrived = true; barrier.Failed(); }
            return $"{user}: chat ended with {chat[^1].Event}: {chat[^1].Data}";
        }

        string approvalId = chat[^1].Data.GetProperty("approvalId").GetString()!;
        JsonElement call = chat[^1].Data.GetProperty("calls")[0];

        phase.Restart();
        using HttpResponseMessage decided = await http.PostAsJsonAsync($"/api/approvals/{approvalId}/calls/{call.GetProperty("callId").GetString()}/decision",
            new { decision = "approve", fingerprint = call.GetProperty("fingerprint").GetString() });
        timings.Decide = phase.Elapsed.TotalMilliseconds;
        if (!decided.IsSuccessStatusCode)
        {
            return $"{user}: decide answered {(int)decided.StatusCode}: {await decided.Content.ReadAsStringAsync()}";
        }

        phase.Restart();
        List<(string Event, JsonElement Data)> resumed = await StreamAsync(http, $"/api/approvals/{approvalId}/resume", new { }, timings.EventGaps);
        timings.Resume = phase.Elapsed.TotalMilliseconds;
        timings.Total = total.Elapsed.TotalMilliseconds;
        string text = string.Concat(resumed.Where(e => e.Event == "text").Select(e => e.Data.GetProperty("text").GetString()));
        return resumed[^1].Event == "done" && text.Contains("Your balance is $850.00.", StringComparison.Ordinal)
            ? null
            : $"{user}: resume ended with {resumed[^1].Event}: {text}";
    }
    catch (Exception exception)
    {
        if (!arrived)
        {
            barrier?.Failed();
        }

        return $"{user}: {exception.GetType().Name}: {exception.Message}";
    }
}

static async Task<List<(string Event, JsonElement Data)>> StreamAsync(HttpClient http, string path, object body, List<double> gaps)
{
    Stopwatch since = Stopwatch.StartNew();
    using HttpRequestMessage request = new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
    using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    if (!response.IsSuccessStatusCode)
    {
        throw new HttpRequestException($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    List<(string, JsonElement)> events = [];
    using StreamReader reader = new(await response.Content.ReadAsStreamAsync());
    string name = "message";
    while (await reader.ReadLineAsync() is { } line)
    {
        if (line.StartsWith("event: ", StringComparison.Ordinal))
        {
            name = line[7..];
        }
        else if (line.StartsWith("data: ", StringComparison.Ordinal))
        {
            events.Add((name, JsonDocument.Parse(line[6..]).RootElement.Clone()));
            gaps.Add(since.Elapsed.TotalMilliseconds);
            since.Restart();
        }
    }

    return events;
}

// What the store says: every approval completed, one transfer per chat, none twice.
static (bool Ok, string Report) Verify(string database, int chats, int baseline)
{
    using SqliteConnection connection = new($"Data Source={database};Mode=ReadOnly;Pooling=False");
    connection.Open();
    long Scalar(string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    long approvals = Scalar("SELECT COUNT(*) FROM hil_approvals WHERE conversation_id IS NOT NULL");
    long completed = Scalar("SELECT COUNT(*) FROM hil_approvals WHERE status = 3");
    long transfers = Scalar("SELECT COUNT(*) FROM bank_transfers WHERE owner LIKE 'load%'");
    long owners = Scalar("SELECT COUNT(DISTINCT owner) FROM bank_transfers WHERE owner LIKE 'load%'");
    long wrongBalances = Scalar("SELECT COUNT(*) FROM bank_accounts WHERE owner LIKE 'load%' AND balance_cents <> 85000");
    bool ok = approvals == chats + baseline + 1 && completed == chats + baseline + 1 && transfers == chats && owners == chats && wrongBalances == 0;
    return (ok, $"store check: {approvals} approvals ({completed} completed, 1 of them the warm-up, {baseline} the baseline), {transfers} transfers by {owners} distinct users, " +
        $"{wrongBalances} wrong balances => {(ok ? "every chat completed once; none lost, none run twice" : "MISMATCH")}");
}

static async Task<(Process Server, string Url)> StartServerAsync(string dataDirectory)
{
    string assembly = typeof(Timings).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SseChatAssembly").Value!;
    int port;
    using (TcpListener listener = new(IPAddress.Loopback, 0))
    {
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    string url = $"http://127.0.0.1:{port}";
    ProcessStartInfo start = new("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (string argument in new[] { assembly, "--urls", url, "--SseChat:DataDirectory", dataDirectory, "--SseChat:WordDelayMs", "0", "--Logging:LogLevel:Default", "Warning" })
    {
        start.ArgumentList.Add(argument);
    }

    // The scripted model, whatever this shell's environment says: a load test must never call a real (paid) model. The sample
    // switches to an OpenAI-compatible model when section Model or HUMANINLOOP_OPENAI_* is set; configuration keys ignore
    // case, and ASPNETCORE_/DOTNET_ prefixed variables reach the same configuration, so all of those spellings go.
    start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
    foreach (string variable in start.Environment.Keys.Where(IsModelSetting).ToList())
    {
        start.Environment.Remove(variable);
        Console.Error.WriteLine($"SseLoad: not passing {variable} to the sample (the load test uses the scripted model).");
    }

    Process server = Process.Start(start)!;
    server.OutputDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("[server] " + e.Data); } };
    server.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("[server] " + e.Data); } };
    server.BeginOutputReadLine();
    server.BeginErrorReadLine();
    using HttpClient probe = new() { Timeout = TimeSpan.FromSeconds(5) };
    Stopwatch waited = Stopwatch.StartNew();
    while (waited.Elapsed < TimeSpan.FromSeconds(90))
    {
        try
        {
            if ((await probe.GetAsync($"{url}/healthz")).IsSuccessStatusCode)
            {
                return (server, url);
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        await Task.Delay(100);
    }

    server.Kill(entireProcessTree: true);
    throw new TimeoutException($"SseChat did not start on {url}.");
}

// Whether an environment variable would configure the sample's real model (section Model, or the HUMANINLOOP_OPENAI_* fallbacks).
static bool IsModelSetting(string variable)
{
    foreach (string prefix in (string[])["ASPNETCORE_", "DOTNET_"])
    {
        if (variable.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            variable = variable[prefix.Length..];
            break;
        }
    }

    return variable.StartsWith("Model__", StringComparison.OrdinalIgnoreCase)
        || variable.StartsWith("Model:", StringComparison.OrdinalIgnoreCase)
        || variable.StartsWith("HUMANINLOOP_OPENAI_", StringComparison.OrdinalIgnoreCase);
}

internal sealed class Timings
{
    public List<double> EventGaps { get; } = [];

    public double Pause { get; set; }
    public double Decide { get; set; }
    public double Resume { get; set; }
    public double Total { get; set; }
}

// Holds every chat, paused, until all have paused (or failed); the last to arrive reads the server's memory first.
internal sealed class PausedBarrier(int count, Func<long?> readResident)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    public long? ResidentAtHold { get; private set; }

    public Task PausedAsync()
    {
        Arrive();
        return _all.Task;
    }

    public void Failed() => Arrive();

    private void Arrive()
    {
        if (Interlocked.Increment(ref _arrived) == count)
        {
            ResidentAtHold = readResident();
            _all.TrySetResult();
        }
    }
}
