using System.Diagnostics;
using System.Reflection;

namespace HumanInLoop.StoreTesting;

/// <summary>Where a worker process finds the storage: the store kind, its connection string, and the table prefix or schema.</summary>
public sealed record WorkerTarget(string Kind, string ConnectionString, string Scope);

/// <summary>One run of HumanInLoop.StoreWorker as a separate OS process (<c>dotnet HumanInLoop.StoreWorker.dll ...</c>).</summary>
public sealed class StoreWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (string Line, TaskCompletionSource Seen)? _awaited;

    private StoreWorkerProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Gets the path of the worker's built assembly.</summary>
    public static string WorkerPath { get; } = typeof(StoreWorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "StoreWorkerPath").Value!;

    /// <summary>Gets the lines the worker printed so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Gets the process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts a worker.</summary>
    public static StoreWorkerProcess Start(WorkerTarget target, TimeSpan lease, params string[] command)
    {
        Assert.True(File.Exists(WorkerPath), $"The worker is not built at {WorkerPath}.");
        ProcessStartInfo info = new("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(WorkerPath);
        info.ArgumentList.Add(target.Kind);
        info.ArgumentList.Add(target.ConnectionString);
        info.ArgumentList.Add(target.Scope);
        info.ArgumentList.Add(((long)lease.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string part in command)
        {
            info.ArgumentList.Add(part);
        }

        Process process = new() { StartInfo = info, EnableRaisingEvents = true };
        StoreWorkerProcess worker = new(process);
        process.OutputDataReceived += (_, e) => worker.OnLine(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data, error: true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Runs a worker to its end and returns what it printed; fails the test if it exits non-zero or takes too long.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(WorkerTarget target, TimeSpan lease, params string[] command)
    {
        using StoreWorkerProcess worker = Start(target, lease, command);
        return await worker.WaitForSuccessAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Waits for the worker to exit with code 0.</summary>
    public async Task<IReadOnlyList<string>> WaitForSuccessAsync(TimeSpan timeout)
    {
        using CancellationTokenSource cancel = new(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"The worker ({string.Join(' ', _process.StartInfo.ArgumentList.Skip(5))}) did not finish within {timeout}. Output: {string.Join(" | ", Lines)}");
        }

        await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        string errors;
        lock (_lock)
        {
            errors = string.Join(Environment.NewLine, _errors);
        }

        Assert.True(_process.ExitCode == 0, $"The worker exited with {_process.ExitCode}: {errors}");
        return Lines;
    }

    /// <summary>Waits for the worker to exit, whatever its exit code (137 when it killed itself with SIGKILL), and returns the code.</summary>
    public async Task<int> WaitForExitCodeAsync(TimeSpan timeout)
    {
        using CancellationTokenSource cancel = new(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"The worker ({string.Join(' ', _process.StartInfo.ArgumentList.Skip(5))}) did not exit within {timeout}. Output: {string.Join(" | ", Lines)}");
        }

        await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>Gets what the worker wrote to standard error so far.</summary>
    public string Errors
    {
        get
        {
            lock (_lock)
            {
                return string.Join(Environment.NewLine, _errors);
            }
        }
    }

    /// <summary>Waits until the worker prints <paramref name="line"/>.</summary>
    public Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_lines.Contains(line))
            {
                return Task.CompletedTask;
            }

            _awaited = (line, seen);
        }

        return seen.Task.WaitAsync(timeout);
    }

    /// <summary>Kills the process at once (SIGKILL on Unix) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Gets a value indicating whether the process had exited by itself before a kill.</summary>
    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void OnLine(string? line, bool error)
    {
        if (line is null)
        {
            if (!error)
            {
                _exited.TrySetResult();
            }

            return;
        }

        TaskCompletionSource? seen = null;
        lock (_lock)
        {
            (error ? _errors : _lines).Add(line);
            if (!error && _awaited is { } awaited && awaited.Line == line)
            {
                seen = awaited.Seen;
                _awaited = null;
            }
        }

        seen?.TrySetResult();
    }
}
