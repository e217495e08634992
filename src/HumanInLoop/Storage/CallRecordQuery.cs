namespace HumanInLoop;

/// <summary>Which call records to list (<see cref="ICallRecordStore.ListCallRecordsAsync"/>) and which page.</summary>
public sealed record CallRecordQuery
{
    private readonly int _pageSize = 500;

    /// <summary>Gets the earliest <see cref="CallRecordEntry.RecordedAt"/> to list (inclusive), or <see langword="null"/> for no lower bound.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Gets the <see cref="CallRecordEntry.RecordedAt"/> to stop before (exclusive), or <see langword="null"/> for no upper bound.</summary>
    public DateTimeOffset? Before { get; init; }

    /// <summary>Gets the tool to list only, or <see langword="null"/> for every tool.</summary>
    public string? ToolName { get; init; }

    /// <summary>Gets the tenant to list only, or <see langword="null"/> for every tenant.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the most records per page, from 1 to 5,000. The default is 500.</summary>
    public int PageSize
    {
        get => _pageSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 5000);
            _pageSize = value;
        }
    }

    /// <summary>Gets the token of the previous page (<see cref="CallRecordPage.ContinuationToken"/>), or <see langword="null"/> for the first page.</summary>
    public string? ContinuationToken { get; init; }
}
