using System.Threading.Channels;

namespace ApprovalWorkflow;

/// <summary>Work for the worker: an invoice to start, or an approval to resume.</summary>
internal abstract record WorkItem;

/// <summary>An invoice to start; <paramref name="SourceFile"/> is the inbox file it came from, moved once the workflow is recorded.</summary>
internal sealed record StartInvoice(Invoice Invoice, string? SourceFile = null) : WorkItem;

internal sealed record ResumeApproval(string ApprovalId) : WorkItem;

/// <summary>Look for workflows a stopped host left mid-way (queued on a timer).</summary>
internal sealed record ContinueInterrupted : WorkItem;

/// <summary>The worker's in-memory queue. Losing it is harmless: invoice files stay in the inbox until their workflow is recorded and are read again, waiting workflows from the database.</summary>
internal sealed class WorkQueue
{
    private readonly Channel<WorkItem> _items = Channel.CreateUnbounded<WorkItem>();

    public bool TryEnqueue(WorkItem item) => _items.Writer.TryWrite(item);

    public IAsyncEnumerable<WorkItem> ReadAllAsync(CancellationToken cancellationToken) => _items.Reader.ReadAllAsync(cancellationToken);
}
