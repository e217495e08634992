using System.Collections.Concurrent;
using System.Text.Json;

namespace ApprovalWorkflow;

/// <summary>
/// Picks up invoices dropped as JSON files (<c>{"id":"INV-1","vendor":"Acme","amount":2500.00}</c>) in the inbox folder
/// and queues them. A file leaves the inbox only once its workflow is recorded in the database (the worker moves it to the
/// processed folder then), so a host that dies in between reads it again on its next start and nothing is lost. A file
/// that is not a valid invoice is moved to <c>rejected</c>, but only once it has not changed for
/// <see cref="WorkflowSettings.SettleTime"/>: a file still being written is not mistaken for a broken one.
/// </summary>
internal sealed partial class InvoiceFolderWatcher(WorkflowSettings settings, WorkQueue queue, TimeProvider time, ILogger<InvoiceFolderWatcher> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    // Files queued and not yet recorded by the worker: not queued again by the next poll.
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(settings.InboxFolder);
        Directory.CreateDirectory(settings.ProcessedFolder);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ScanOnce();
                await Task.Delay(settings.PollInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal void ScanOnce()
    {
        foreach (string path in Directory.EnumerateFiles(settings.InboxFolder, "*.json").Order(StringComparer.Ordinal).Take(1000))
        {
            if (_queued.ContainsKey(path))
            {
                continue;
            }

            string name = Path.GetFileName(path);
            string? problem;
            try
            {
                Invoice? invoice = JsonSerializer.Deserialize<Invoice>(File.ReadAllText(path), s_json);
                problem = "empty";
                if (invoice is not null && invoice.IsValid(out problem))
                {
                    _queued[path] = 0;
                    queue.TryEnqueue(new StartInvoice(invoice, path));
                    continue;
                }
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            catch (Exception exception) when (exception is JsonException or IOException)
            {
                problem = exception.Message;
            }

            // File timestamps come from the operating system's clock, not from the host's TimeProvider.
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < settings.SettleTime)
            {
                continue;
            }

            LogRejected(name, problem);
            TryMove(path, Path.Combine(settings.ProcessedFolder, "rejected"));
        }
    }

    /// <summary>Moves an invoice file out of the inbox once its workflow is recorded (called by the worker).</summary>
    internal void Recorded(string path)
    {
        TryMove(path, settings.ProcessedFolder);
        _queued.TryRemove(path, out _);
    }

    /// <summary>Lets the next poll queue a file again when its workflow could not be recorded.</summary>
    internal void NotRecorded(string path) => _queued.TryRemove(path, out _);

    private void TryMove(string path, string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            File.Move(path, Path.Combine(folder, Path.GetFileName(path)), overwrite: true);
        }
        catch (IOException exception)
        {
            // Gone already (another host moved it) or locked: the next poll looks again; starting an invoice twice is harmless.
            LogNotMoved(exception, Path.GetFileName(path));
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Invoice file {File} rejected: {Problem}")]
    private partial void LogRejected(string file, string problem);

    [LoggerMessage(2, LogLevel.Warning, "Invoice file {File} could not be moved out of the inbox")]
    private partial void LogNotMoved(Exception exception, string file);
}
