using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;

namespace BankingConsole.Tests;

/// <summary>
/// The built BankingConsole, started as its own process (<c>dotnet BankingConsole.dll</c>) with standard input and output
/// redirected, as a script would run it. Every wait has a timeout; a process still running at dispose is killed.
/// </summary>
internal sealed class ConsoleProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _reader;
    private readonly List<string> _output = [];

    private ConsoleProcess(Process process)
    {
        _process = process;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Gets every line the program printed so far.</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>Gets the lines printed at start, up to and including <c>OK start</c>.</summary>
    public IReadOnlyList<string> Startup { get; private set; } = [];

    public static string ConsolePath { get; } = typeof(ConsoleProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BankingConsolePath").Value!;

    /// <summary>Starts the console over <paramref name="dataDirectory"/> and waits for it to be ready.</summary>
    public static async Task<ConsoleProcess> StartAsync(string dataDirectory, IEnumerable<string>? arguments = null, IDictionary<string, string>? environment = null)
    {
        ConsoleProcess console = Launch(["--data", dataDirectory, .. arguments ?? []], environment);
        console.Startup = await console.ReadUntilEndOfCommandAsync();
        Assert.Equal("OK start", console.Startup[^1]);
        return console;
    }

    /// <summary>Starts the console with exactly these arguments and does not wait for anything.</summary>
    public static ConsoleProcess Launch(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        Assert.True(File.Exists(ConsolePath), $"The sample was not built at {ConsolePath}; build the solution first.");
        ProcessStartInfo start = new(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ConsolePath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Offline unless a test says otherwise, whatever the machine has configured.
        start.Environment.Remove("HUMANINLOOP_OPENAI_ENDPOINT");
        start.Environment.Remove("HUMANINLOOP_OPENAI_MODEL");
        start.Environment.Remove("HUMANINLOOP_OPENAI_API_KEY");
        foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable.Key] = variable.Value;
        }

        return new ConsoleProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>Sends one command and returns what it printed, up to and including its <c>OK</c> or <c>ERROR</c> line.</summary>
    public async Task<IReadOnlyList<string>> SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return await ReadUntilEndOfCommandAsync();
    }

    /// <summary>Sends <c>balances</c> and reads them.</summary>
    public async Task<Dictionary<string, decimal>> BalancesAsync() => Parse.Balances(await SendAsync("balances"));

    /// <summary>Closes standard input (the script ends) and waits for the program to exit.</summary>
    public async Task<int> EndInputAsync()
    {
        _process.StandardInput.Close();
        using CancellationTokenSource timeout = new(Timeout);
        await _process.WaitForExitAsync(timeout.Token);
        await _reader.WaitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Reads every line until the program exits.</summary>
    public async Task<IReadOnlyList<string>> ReadToExitAsync()
    {
        using CancellationTokenSource timeout = new(Timeout);
        await _process.WaitForExitAsync(timeout.Token);
        await _reader.WaitAsync(timeout.Token);
        return Output;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Gets the program's standard input, for a test that writes a whole script at once.</summary>
    public StreamWriter Input => _process.StandardInput;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task<IReadOnlyList<string>> ReadUntilEndOfCommandAsync()
    {
        List<string> lines = [];
        using CancellationTokenSource timeout = new(Timeout);
        try
        {
            while (true)
            {
                string line = await _lines.Reader.ReadAsync(timeout.Token);
                lines.Add(line);
                if (line.StartsWith("OK ", StringComparison.Ordinal) || line.StartsWith("ERROR ", StringComparison.Ordinal))
                {
                    return lines;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"The console printed no OK or ERROR line within {Timeout.TotalSeconds} s (or exited). It printed:\n{string.Join('\n', Output)}"));
        }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.Add(line);
            }

            await _lines.Writer.WriteAsync(line);
        }

        _lines.Writer.Complete();
    }
}
