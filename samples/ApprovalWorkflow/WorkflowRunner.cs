using System.Globalization;
using HumanInLoop;
using Microsoft.Extensions.AI;

namespace ApprovalWorkflow;

/// <summary>
/// Runs one invoice through the assistant, and resumes it by workflow id. A payment over the threshold pauses: the
/// workflow records the approval id and the worker moves on. Stateless: everything is read from the database, so a
/// resume works in a new process after a restart.
/// </summary>
internal sealed partial class WorkflowRunner
{
    private readonly IChatClient _chat;
    private readonly ApprovalService _approvals;
    private readonly WorkflowDatabase _database;
    private readonly ILogger<WorkflowRunner> _logger;
    private readonly IList<AITool> _tools;
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeat;

    public WorkflowRunner(IChatClient chat, ApprovalService approvals, WorkflowDatabase database, WorkflowSettings settings, TimeProvider time, ILogger<WorkflowRunner> logger)
    {
        _chat = chat;
        _approvals = approvals;
        _database = database;
        _logger = logger;
        _time = time;

        // Five heartbeats per InterruptedAfter: a host that misses a few (a pause, a slow disk) is still not taken for stopped.
        _heartbeat = settings.InterruptedAfter / 5;
        _tools = ApprovalService.ProtectTools(AIFunctionFactory.Create(PayInvoiceAsync, "pay_invoice", "Pays an invoice to a vendor. Amount in dollars as a decimal string."));
    }

    /// <summary>Starts the workflow of an invoice, once: an invoice already started is left as it is.</summary>
    public async Task<WorkflowRecord> StartAsync(Invoice invoice, CancellationToken cancellationToken)
    {
        if (await _database.TryCreateAsync(invoice))
        {
            await RunAsync(invoice, cancellationToken);
        }

        return (await _database.GetAsync(invoice.WorkflowId))!;
    }

    /// <summary>
    /// Continues a workflow that a stopped host left <see cref="WorkflowStatus.Running"/>: if its conversation was held before the
    /// stop, the workflow waits for that approval; otherwise the invoice is run again (paying is keyed on the invoice, so a
    /// payment made before the stop is not made twice).
    /// </summary>
    public async Task ContinueInterruptedAsync(WorkflowRecord workflow, CancellationToken cancellationToken)
    {
        ApprovalPage held = await _approvals.ListAsync(new StateQuery { ConversationId = workflow.Id, PageSize = 1 }, cancellationToken);
        if (held.Approvals is [PendingApproval approval, ..])
        {
            await _database.SetWaitingAsync(workflow.Id, approval.Id);
            LogPaused(workflow.Id, approval.Id);
            return;
        }

        await RunAsync(new Invoice(workflow.InvoiceId, workflow.Vendor, workflow.Amount), cancellationToken);
    }

    private async Task RunAsync(Invoice invoice, CancellationToken cancellationToken)
    {
        // While the model and the tool run, the workflow is touched now and then, so that another host never takes it over as
        // interrupted because a call took longer than InterruptedAfter (it would run the invoice a second time).
        using CancellationTokenSource done = new();
        Task heartbeat = HeartbeatAsync(invoice.WorkflowId, done.Token);
        try
        {
            ChatResponse response = await _chat.GetResponseAsync([new ChatMessage(ChatRole.User, invoice.Instruction)], Options(invoice.WorkflowId), cancellationToken);
            await FinishAsync(invoice.WorkflowId, invoice.Id, response.Text, expired: false);
        }
        catch (PendingApprovalException pause)
        {
            // Saved before it was thrown; the notifications go out in the background. Move on.
            await _database.SetWaitingAsync(invoice.WorkflowId, pause.Approval.Id);
            LogPaused(invoice.WorkflowId, pause.Approval.Id);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await _database.SetFinishedAsync(invoice.WorkflowId, WorkflowStatus.Failed, exception.Message);
            LogFailed(exception, invoice.WorkflowId);
        }
        finally
        {
            await done.CancelAsync();
            await heartbeat;
        }
    }

    private async Task HeartbeatAsync(string workflowId, CancellationToken done)
    {
        while (true)
        {
            try
            {
                await Task.Delay(_heartbeat, _time, done);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                if (!await _database.TouchAsync(workflowId))
                {
                    return; // no longer running: paused, finished, or (after a very long stall) taken over
                }
            }
            catch (Exception exception)
            {
                // A missed heartbeat is not fatal: the next one, or the run's own end, writes the workflow again.
                LogHeartbeatFailed(exception, workflowId);
            }
        }
    }

    /// <summary>Continues a workflow whose approval was decided (or expired). Returns what the workflow is now, and why not, if it could not continue.</summary>
    public async Task<(WorkflowRecord? Workflow, string? Problem)> ResumeAsync(string workflowId, CancellationToken cancellationToken)
    {
        WorkflowRecord? workflow = await _database.GetAsync(workflowId);
        if (workflow is not { Status: WorkflowStatus.WaitingForApproval, ApprovalId: { } approvalId })
        {
            return (workflow, null);
        }

        try
        {
            ResumeResult result = await _approvals.ResumeAsync(approvalId, _chat, Options(workflowId), cancellationToken);
            bool expired = result.Approval.Calls.Any(c => c.Decision == CallDecisionStatus.Expired);
            await FinishAsync(workflowId, workflow.InvoiceId, result.Response.Text, expired);
        }
        catch (PendingApprovalException next)
        {
            await _database.SetWaitingAsync(workflowId, next.Approval.Id);
        }
        catch (ApprovalConflictException conflict)
        {
            // Still waiting for a person, or another resume got there first (it finishes the workflow, or already did).
            WorkflowRecord? now = await _database.GetAsync(workflowId);
            return now is { Status: WorkflowStatus.WaitingForApproval } ? (now, conflict.Message) : (now, null);
        }

        return (await _database.GetAsync(workflowId), null);
    }

    private async Task FinishAsync(string workflowId, string invoiceId, string outcome, bool expired)
    {
        bool paid = (await _database.ListPaymentsAsync()).Any(p => p.InvoiceId == invoiceId);
        string status = paid ? WorkflowStatus.Paid : expired ? WorkflowStatus.Expired : WorkflowStatus.NotPaid;
        await _database.SetFinishedAsync(workflowId, status, outcome);
        LogFinished(workflowId, status);
    }

    private ChatOptions Options(string workflowId) =>
        new ChatOptions { Tools = _tools }.WithCallerContext(new CallerContext { ConversationId = workflowId, UserId = "invoice-worker" });

    /// <summary>The tool. The ledger's key on the invoice makes it exactly-once downstream, whatever happens upstream.</summary>
    private async Task<string> PayInvoiceAsync(string invoiceId, string amount, string payee)
    {
        decimal value = decimal.Parse(amount, NumberStyles.Number, CultureInfo.InvariantCulture);
        string key = ApprovedCall.Current?.IdempotencyKey ?? "auto:" + invoiceId;
        return await _database.TryPayAsync(invoiceId, value, payee, key)
            ? $"Paid invoice {invoiceId}: ${amount} to {payee}."
            : $"Invoice {invoiceId} was already paid; nothing was paid again.";
    }

    [LoggerMessage(1, LogLevel.Information, "Workflow {WorkflowId} waits for approval {ApprovalId}; moving on.")]
    private partial void LogPaused(string workflowId, string approvalId);

    [LoggerMessage(2, LogLevel.Information, "Workflow {WorkflowId} finished: {Status}.")]
    private partial void LogFinished(string workflowId, string status);

    [LoggerMessage(3, LogLevel.Error, "Workflow {WorkflowId} failed.")]
    private partial void LogFailed(Exception exception, string workflowId);

    [LoggerMessage(4, LogLevel.Warning, "Workflow {WorkflowId}: its heartbeat failed; another host may take it over after InterruptedAfter.")]
    private partial void LogHeartbeatFailed(Exception exception, string workflowId);
}
