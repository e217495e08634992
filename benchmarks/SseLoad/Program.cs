// SseLoad: N concurrent chats against the SseChat sample on loopback. Each signs in, asks for a $150 transfer (paused
// for approval over SSE), approves it with the fingerprint shown, and resumes it over SSE. Then it checks the sample's
// SQLite file: every approval completed, exactly one transfer per chat (none lost, none run twice).
//
//   dotnet run -c Release --project benchmarks/SseLoad -- [--chats 200] [--url http://127.0.0.1:5000]
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
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--chats") { chats = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); }
    else if (args[i] == "--url") { url = args[++i]; }
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
    await RunChatAsync(url, "warmup", new Timings());
    Timings[] timings = [.. Enumerable.Range(0, chats).Select(_ => new Timings())];
    Stopwatch wall = Stopwatch.StartNew();
    Task<string?>[] runs = [.. Enumerable.Range(0, chats).Select(i => Task.Run(() => RunChatAsync(url, $"load{i}", timings[i])))];
    string?[] failures = await Task.WhenAll(runs);
    wall.Stop();

    int failed = failures.Count(f => f is not null);
    foreach (string failure in failures.Where(f => f is not null).Distinct().Take(5)!)
    {
        Console.WriteLine($"  failure: {failure}");
    }

    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    Console.WriteLine($"chats: {chats}, completed: {chats - failed}, failed: {failed}, wall time: {wall.Elapsed.TotalSeconds:F2} s");
    Console.WriteLine($"throughput: {chats / wall.Elapsed.TotalSeconds:F1} chats/s ({5 * chats / wall.Elapsed.TotalSeconds:F0} HTTP requests/s; 5 per chat, 2 of them SSE streams)");
    Console.WriteLine();
    Console.WriteLine("| phase (ms) | p50 | p90 | p99 | max |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
    Row("chat until approval_required", timings.Select(t => t.Pause));
    Row("decide (POST decision)", timings.Select(t => t.Decide));
    Row("resume until done", timings.Select(t => t.Resume));
    Row("whole chat (sign-in to done)", timings.Select(t => t.Total));

    if (server is not null)
    {
        (bool ok, string report) = Verify(Path.Combine(dataDirectory, "sse-chat.db"), chats);
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

static void Row(string name, IEnumerable<double> values)
{
    double[] sorted = [.. values.Order()];
    double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    Console.WriteLine($"| {name} | {P(0.50):F0} | {P(0.90):F0} | {P(0.99):F0} | {sorted[^1]:F0} |");
}

// One chat: sign in, pause, approve, resume. Returns null on success, else what went wrong.
static async Task<string?> RunChatAsync(string url, string user, Timings timings)
{
    using HttpClientHandler handler = new() { CookieContainer = new CookieContainer(), UseCookies = true };
    using HttpClient http = new(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
    Stopwatch total = Stopwatch.StartNew();
    try
    {
        (await http.PostAsJsonAsync("/account/signin", new { name = user, approver = true })).EnsureSuccessStatusCode();
        JsonElement token = await http.GetFromJsonAsync<JsonElement>("/api/approvals/antiforgery");
        http.DefaultRequestHeaders.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());

        Stopwatch phase = Stopwatch.StartNew();
        List<(string Event, JsonElement Data)> chat = await StreamAsync(http, "/chat", new { message = "transfer $150 to bob" });
        timings.Pause = phase.Elapsed.TotalMilliseconds;
        if (chat[^1].Event != "approval_required")
        {
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
        List<(string Event, JsonElement Data)> resumed = await StreamAsync(http, $"/api/approvals/{approvalId}/resume", new { });
        timings.Resume = phase.Elapsed.TotalMilliseconds;
        timings.Total = total.Elapsed.TotalMilliseconds;
        string text = string.Concat(resumed.Where(e => e.Event == "text").Select(e => e.Data.GetProperty("text").GetString()));
        return resumed[^1].Event == "done" && text.Contains("Your balance is $850.00.", StringComparison.Ordinal)
            ? null
            : $"{user}: resume ended with {resumed[^1].Event}: {text}";
    }
    catch (Exception exception)
    {
        return $"{user}: {exception.GetType().Name}: {exception.Message}";
    }
}

static async Task<List<(string Event, JsonElement Data)>> StreamAsync(HttpClient http, string path, object body)
{
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
        }
    }

    return events;
}

// What the store says: every approval completed, one transfer per chat, none twice.
static (bool Ok, string Report) Verify(string database, int chats)
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
    bool ok = approvals == chats + 1 && completed == chats + 1 && transfers == chats && owners == chats && wrongBalances == 0;
    return (ok, $"store check: {approvals} approvals ({completed} completed, 1 of them the warm-up), {transfers} transfers by {owners} distinct users, " +
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
    public double Pause { get; set; }
    public double Decide { get; set; }
    public double Resume { get; set; }
    public double Total { get; set; }
}
