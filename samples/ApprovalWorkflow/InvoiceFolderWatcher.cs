using System.Text.Json;

namespace ApprovalWorkflow;

/// <summary>
/// Picks up invoices dropped as JSON files (<c>{"id":"INV-1","vendor":"Acme","amount":2500.00}</c>) in the inbox folder,
/// queues them and moves each file to the processed folder (or <c>rejected</c> when it is not a valid invoice).
/// </summary>
internal sealed partial class InvoiceFolderWatcher(WorkflowSettings settings, WorkQueue queue, TimeProvider time, ILogger<InvoiceFolderWatcher> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

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
            string name = Path.GetFileName(path);
            try
            {
                Invoice? invoice = JsonSerializer.Deserialize<Invoice>(File.ReadAllText(path), s_json);
                string problem = "empty";
                if (invoice is null || !invoice.IsValid(out problem))
                {
                    LogRejected(name, problem);
                    Move(path, Path.Combine(settings.ProcessedFolder, "rejected"));
                    continue;
                }

                queue.TryEnqueue(new StartInvoice(invoice));
                Move(path, settings.ProcessedFolder);
            }
            catch (Exception exception) when (exception is JsonException or IOException)
            {
                LogRejected(name, exception.Message);
                Move(path, Path.Combine(settings.ProcessedFolder, "rejected"));
            }
        }
    }

    private static void Move(string path, string folder)
    {
        Directory.CreateDirectory(folder);
        File.Move(path, Path.Combine(folder, Path.GetFileName(path)), overwrite: true);
    }

    [LoggerMessage(1, LogLevel.Warning, "Invoice file {File} rejected: {Problem}")]
    private partial void LogRejected(string file, string problem);
}
