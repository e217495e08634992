using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.Internal;

/// <summary>
/// Registered by <c>AddHumanInLoop</c>: when the host stops, waits until the call records the gate queued
/// (<see cref="ApprovalOptions.RecordCalls"/>) are written, so a stop does not lose the last calls.
/// </summary>
/// <remarks>
/// Flushes in <see cref="StoppedAsync"/>, after every hosted service's <c>StopAsync</c> (the web server's included, which waits for
/// requests in flight), so calls made while the host drains are written too. Flushes only an <see cref="ApprovalService"/> the
/// container built (<see cref="ApprovalServiceTracker"/>): a host that never used one does not build one to stop. Thread-safe.
/// </remarks>
internal sealed class CallRecordFlushOnStop(ApprovalServiceTracker tracker, ILoggerFactory? loggerFactory = null) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (tracker.Service is not { } approvals)
        {
            return;
        }

        try
        {
            await approvals.FlushCallRecordsAsync(cancellationToken);
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout ran out (a store that does not answer): say so rather than fail the stop.
            ApprovalLog.CallRecordsNotFlushed((ILogger?)loggerFactory?.CreateLogger<ApprovalService>() ?? NullLogger.Instance, exception);
        }
    }
}
