using HumanInLoop;

namespace ApprovalWorkflow;

/// <summary>
/// The background worker: starts invoices and resumes decided approvals, one at a time, never waiting for a person.
/// On start, and then every poll interval, it continues workflows a stopped host left mid-way; on start (with AutoResume) it
/// also resumes those whose approval was decided or expired while the host was down. Several hosts may share the database:
/// an interrupted workflow is taken over by one of them, and a resume by one (the approval's claim).
/// </summary>
internal sealed partial class InvoiceWorker(
    WorkQueue queue, WorkflowRunner runner, InvoiceFolderWatcher inbox, WorkflowDatabase database, ApprovalService approvals, WorkflowSettings settings,
    TimeProvider time, ILogger<InvoiceWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ContinueInterruptedAsync();
        if (settings.AutoResume)
        {
            await RecoverAsync();
        }

        _ = QueueInterruptedChecksAsync(stoppingToken);

        await foreach (WorkItem item in queue.ReadAllAsync(stoppingToken))
        {
            try
            {
                switch (item)
                {
                    case ContinueInterrupted:
                        await ContinueInterruptedAsync();
                        break;
                    case StartInvoice start:
                        await StartAsync(start, stoppingToken);
                        break;
                    case ResumeApproval resume when await database.FindByApprovalAsync(resume.ApprovalId) is { } workflow:
                        (_, string? problem) = await runner.ResumeAsync(workflow.Id, stoppingToken);
                        if (problem is not null)
                        {
                            LogNotResumed(workflow.Id, problem);
                        }

                        break;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // One bad item must not stop the worker; the workflow stays where it was and can be resumed by id.
                LogItemFailed(exception, item.ToString());
            }
        }
    }

    private async Task StartAsync(StartInvoice start, CancellationToken cancellationToken)
    {
        try
        {
            await runner.StartAsync(start.Invoice, cancellationToken);
        }
        catch when (start.SourceFile is { } file)
        {
            inbox.NotRecorded(file);
            throw;
        }

        if (start.SourceFile is { } recorded)
        {
            inbox.Recorded(recorded);
        }
    }

    private async Task QueueInterruptedChecksAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(settings.PollInterval, time, stoppingToken);
                queue.TryEnqueue(new ContinueInterrupted());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ContinueInterruptedAsync()
    {
        // Workflows a stopped host left mid-way (created, but neither waiting nor finished): linked to their approval, or run
        // again. Only those untouched for InterruptedAfter (another host may be running one now), and each by one host: the
        // take-over is a compare-and-swap in the database, so two hosts looking at once do not both continue it.
        DateTimeOffset untouchedSince = time.GetUtcNow() - settings.InterruptedAfter;
        foreach (WorkflowRecord workflow in await database.ListAsync(WorkflowStatus.Running))
        {
            try
            {
                if (!await database.TryTakeOverAsync(workflow.Id, untouchedSince))
                {
                    continue;
                }

                await runner.ContinueInterruptedAsync(workflow, CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogItemFailed(exception, workflow.Id);
            }
        }
    }

    private async Task RecoverAsync()
    {
        foreach (WorkflowRecord workflow in await database.ListAsync(WorkflowStatus.WaitingForApproval))
        {
            try
            {
                PendingApproval approval = await approvals.GetAsync(workflow.ApprovalId!);
                if (approval.Status is ApprovalStatus.Decided or ApprovalStatus.Expired)
                {
                    queue.TryEnqueue(new ResumeApproval(approval.Id));
                }
            }
            catch (ApprovalException exception)
            {
                LogItemFailed(exception, workflow.Id);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Workflow {WorkflowId} not resumed: {Problem}")]
    private partial void LogNotResumed(string workflowId, string problem);

    [LoggerMessage(2, LogLevel.Error, "Work item {Item} failed; the worker continues.")]
    private partial void LogItemFailed(Exception exception, string item);
}
