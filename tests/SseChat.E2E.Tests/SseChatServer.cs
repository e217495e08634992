using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace SseChat.E2E.Tests;

/// <summary>
/// The SseChat sample as a separate process on 127.0.0.1, with its own data folder (SQLite file and keys). It can be
/// stopped and started again on the same port and folder, as a restart between a pause and a click.
/// </summary>
public sealed class SseChatServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly StringBuilder _output = new();
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process? _process;

    private SseChatServer(int port, string dataDirectory, IReadOnlyDictionary<string, string> environment)
    {
        Port = port;
        DataDirectory = dataDirectory;
        _environment = environment;
    }

    public int Port { get; }
    public string DataDirectory { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Counts the transfers the bank has recorded, read from the sample's SQLite file.</summary>
    public long CountTransfers()
    {
        using SqliteConnection connection = new($"Data Source={Path.Combine(DataDirectory, "sse-chat.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM bank_transfers";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The amount of the last transfer the bank recorded, read from the sample's SQLite file.</summary>
    public decimal LastTransferAmount()
    {
        using SqliteConnection connection = new($"Data Source={Path.Combine(DataDirectory, "sse-chat.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT amount_cents FROM bank_transfers ORDER BY created_at DESC LIMIT 1";
        return (long)command.ExecuteScalar()! / 100m;
    }

    /// <summary>
    /// Rewrites a held call in the sample's SQLite file behind the library's back, as someone with write access to the database
    /// could: <paramref name="change"/> edits the call's stored JSON (its <c>arguments</c>, its <c>fingerprint</c>).
    /// </summary>
    public void RewriteHeldCall(string approvalId, Action<JsonObject> change)
    {
        using SqliteConnection connection = new($"Data Source={Path.Combine(DataDirectory, "sse-chat.db")};Pooling=False;Default Timeout=30");
        connection.Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT data FROM hil_approvals WHERE id = $id";
        select.Parameters.AddWithValue("$id", approvalId);
        JsonNode record = JsonNode.Parse((string)select.ExecuteScalar()!)!;
        change(record["calls"]!.AsArray().Single()!.AsObject());
        using SqliteCommand update = connection.CreateCommand();
        update.CommandText = "UPDATE hil_approvals SET data = $data WHERE id = $id";
        update.Parameters.AddWithValue("$id", approvalId);
        update.Parameters.AddWithValue("$data", record.ToJsonString());
        Assert.Equal(1, update.ExecuteNonQuery());
    }

    public static string AssemblyPath => typeof(SseChatServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SseChatAssembly").Value!;

    /// <summary>Starts the sample with the offline scripted model, or with what <paramref name="environment"/> configures.</summary>
    public static async Task<SseChatServer> StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        SseChatServer server = new(FreePort(), NewDataDirectory(), environment ?? new Dictionary<string, string>());
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Starts the sample with <paramref name="environment"/> and waits for it to exit by itself, as it must at a bad setting.</summary>
    /// <returns>The exit code and everything it wrote.</returns>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(IReadOnlyDictionary<string, string> environment)
    {
        await using SseChatServer server = new(FreePort(), NewDataDirectory(), environment);
        Process process = server.Launch();
        using CancellationTokenSource timeout = new(StartTimeout);
        await process.WaitForExitAsync(timeout.Token);
        process.WaitForExit(); // the redirected output is complete once this returns
        return (process.ExitCode, server.Output);
    }

    public async Task RestartAsync()
    {
        await StopProcessAsync();
        await StartProcessAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartProcessAsync()
    {
        Process process = Launch();

        // Ready when it answers; polling the health endpoint is the condition, with a generous deadline for a busy 2-core machine.
        using HttpClient client = new() { Timeout = TimeSpan.FromSeconds(5) };
        Stopwatch waited = Stopwatch.StartNew();
        while (waited.Elapsed < StartTimeout)
        {
            Assert.False(process.HasExited, $"SseChat exited with {(process.HasExited ? process.ExitCode : 0)}:\n{Output}");
            try
            {
                using HttpResponseMessage response = await client.GetAsync($"{BaseUrl}/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
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

        throw new TimeoutException($"SseChat did not answer on {BaseUrl} within {StartTimeout}:\n{Output}");
    }

    private Process Launch()
    {
        Assert.True(File.Exists(AssemblyPath), $"The sample is not built at {AssemblyPath}.");
        ProcessStartInfo start = new("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(AssemblyPath)!,
        };
        foreach (string argument in new[]
        {
            AssemblyPath, "--urls", BaseUrl, "--SseChat:DataDirectory", DataDirectory,
            "--SseChat:WordDelayMs", _environment.TryGetValue("SseChat__WordDelayMs", out string? delay) ? delay : "5",
            "--Logging:LogLevel:Default", "Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        // The offline scripted model unless the test configures one, whatever the developer's own environment says.
        foreach (string variable in (string[])["HUMANINLOOP_OPENAI_ENDPOINT", "HUMANINLOOP_OPENAI_MODEL", "HUMANINLOOP_OPENAI_API_KEY", "Model__Endpoint", "Model__Name", "Model__ApiKey"])
        {
            start.Environment.Remove(variable);
        }

        foreach ((string name, string value) in _environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        return process;
    }

    private async Task StopProcessAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static string NewDataDirectory()
    {
        string data = Path.Combine(Path.GetTempPath(), "ssechat-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        return data;
    }

    private static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
