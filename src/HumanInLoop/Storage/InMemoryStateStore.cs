using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>An <see cref="IStateStore"/> in process memory, for tests and demos: approvals are lost on restart.</summary>
/// <remarks>
/// Not for production: it keeps everything in one process and lists by scanning every entry under one lock (no index), so an inbox of
/// many thousands of approvals costs time in proportion to them, where the SQLite and PostgreSQL stores read one index range per page.
/// Thread-safe. Purged approvals' audit trails are archived in memory too (<see cref="IPurgeableStateStore"/>), and it keeps call records
/// (<see cref="ICallRecordStore"/>) and standing grants (<see cref="IGrantStore"/>) as well. Use the SQLite or
/// PostgreSQL store when approvals must survive a restart.
/// </remarks>
public sealed class InMemoryStateStore : IPurgeableStateStore, ICallRecordStore, IGrantStore
{
    private readonly Dictionary<string, StateEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _archivedTrails = new(StringComparer.Ordinal);
    private readonly SortedDictionary<(long At, string Id), CallRecordEntry> _callRecords = new(RecordOrder.Instance);
    private readonly HashSet<string> _callRecordIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GrantEntry> _grants = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc />
    /// <value>Always <see langword="true"/>.</value>
    public bool StoresHistorySeparately => true;

    /// <inheritdoc />
    public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_entries.TryAdd(entry.Id, entry));
        }
    }

    /// <inheritdoc />
    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_entries.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(WithoutHistory(_entries.GetValueOrDefault(id)));
        }
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_entries.TryGetValue(entry.Id, out StateEntry? current) || current.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }

            // The conversation is written once: whatever History this entry carries, the stored one stays.
            _entries[entry.Id] = ReferenceEquals(entry.History, current.History) ? entry : entry with { History = current.History };
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        bool byDeadline = query.Order == StateOrder.SoonestDeadlineFirst;
        (DateTimeOffset At, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken, query.Order);
        string[]? approverNames = query.Approver is { } approver ? [approver.Id, .. approver.Roles, StateEntry.AnyApprover] : null;
        lock (_lock)
        {
            IEnumerable<StateEntry> matching = _entries.Values
                .Where(e => query.TenantId is null || e.TenantId == query.TenantId)
                .Where(e => query.ConversationId is null || e.ConversationId == query.ConversationId)
                .Where(e => query.Status is null || e.Status == query.Status)
                .Where(e => approverNames is null || (e.Status == ApprovalStatus.Pending && e.Approvers is { } names && approverNames.Any(names.Contains)))
                .Where(e => (query.CreatedFrom is null || e.CreatedAt >= query.CreatedFrom) && (query.CreatedBefore is null || e.CreatedAt < query.CreatedBefore));
            List<StateEntry> page = (byDeadline
                    ? matching
                        .Where(e => after is null || e.ExpiresAt > after.Value.At || (e.ExpiresAt == after.Value.At && string.CompareOrdinal(e.Id, after.Value.Id) > 0))
                        .OrderBy(e => e.ExpiresAt).ThenBy(e => e.Id, StringComparer.Ordinal)
                    : matching
                        .Where(e => after is null || e.CreatedAt < after.Value.At || (e.CreatedAt == after.Value.At && string.CompareOrdinal(e.Id, after.Value.Id) < 0))
                        .OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id, StringComparer.Ordinal))
                .Take(query.PageSize + 1)
                .ToList();
            string? next = null;
            if (page.Count > query.PageSize)
            {
                page.RemoveAt(page.Count - 1);
                next = StateContinuationToken.Create(page[^1], query.Order);
            }

            return Task.FromResult(new StatePage(query.IncludeHistory ? page : page.ConvertAll(e => WithoutHistory(e)!), next));
        }
    }

    private static StateEntry? WithoutHistory(StateEntry? entry) => entry?.History is null ? entry : entry with { History = null };

    /// <inheritdoc />
    /// <remarks>All at once, under the store's lock.</remarks>
    public Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            int purged = 0;
            foreach (StateEntry entry in _entries.Values.Where(e => IsFinished(e.Status) && e.UpdatedAt < olderThan).ToList())
            {
                if (keepAuditTrail)
                {
                    // Not readable as an approval: kept, rather than lost.
                    if (PendingApprovalSerializer.ExtractAuditTrail(entry) is not { } trail)
                    {
                        continue;
                    }

                    _archivedTrails[entry.Id] = trail;
                }

                _entries.Remove(entry.Id);
                purged++;
            }

            return Task.FromResult(purged);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        cancellationToken.ThrowIfCancellationRequested();
        string? trail;
        lock (_lock)
        {
            trail = _archivedTrails.GetValueOrDefault(approvalId);
        }

        return Task.FromResult<IReadOnlyList<ApprovalAuditEntry>?>(trail is null ? null : PendingApprovalSerializer.ReadAuditTrail(approvalId, trail));
    }

    private static bool IsFinished(ApprovalStatus status) =>
        status is ApprovalStatus.Completed or ApprovalStatus.Expired or ApprovalStatus.Cancelled;
    /// <inheritdoc />
    public Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            foreach (CallRecordEntry entry in entries)
            {
                ArgumentNullException.ThrowIfNull(entry, nameof(entries));
                if (_callRecordIds.Add(entry.Id))
                {
                    _callRecords.Add((entry.RecordedAt.ToUnixTimeMilliseconds(), entry.Id), entry);
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        (DateTimeOffset At, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        long from = query.From?.ToUnixTimeMilliseconds() ?? long.MinValue;
        long before = query.Before?.ToUnixTimeMilliseconds() ?? long.MaxValue;
        var page = new List<CallRecordEntry>(Math.Min(query.PageSize + 1, 1024));
        lock (_lock)
        {
            foreach (((long at, string id), CallRecordEntry entry) in _callRecords)
            {
                if (at < from || (after is { } a && (at < a.At.ToUnixTimeMilliseconds() || (at == a.At.ToUnixTimeMilliseconds() && string.CompareOrdinal(id, a.Id) <= 0))))
                {
                    continue;
                }

                if (at >= before || page.Count > query.PageSize)
                {
                    break;
                }

                if ((query.ToolName is null || entry.ToolName == query.ToolName) && (query.TenantId is null || entry.TenantId == query.TenantId))
                {
                    page.Add(entry);
                }
            }
        }

        string? next = null;
        if (page.Count > query.PageSize)
        {
            page.RemoveAt(page.Count - 1);
            next = StateContinuationToken.Create(page[^1].RecordedAt, page[^1].Id);
        }

        return Task.FromResult(new CallRecordPage(page, next));
    }

    /// <inheritdoc />
    public Task<bool> TryCreateGrantAsync(GrantEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_grants.TryAdd(entry.Id, entry));
        }
    }

    /// <inheritdoc />
    public Task<GrantEntry?> GetGrantAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_grants.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateGrantAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_grants.TryGetValue(entry.Id, out GrantEntry? current) || current.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }

            _grants[entry.Id] = entry;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<GrantPage> ListGrantsAsync(GrantQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        (DateTimeOffset CreatedAt, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        lock (_lock)
        {
            List<GrantEntry> page = _grants.Values
                .Where(g => (query.ToolName is null || g.ToolName == query.ToolName) && (query.TenantId is null || g.TenantId == query.TenantId))
                .Where(g => query.ActiveAt is not { } now || (!g.Revoked && g.ExpiresAt > now))
                .Where(g => after is null || g.CreatedAt < after.Value.CreatedAt ||
                    (g.CreatedAt == after.Value.CreatedAt && string.CompareOrdinal(g.Id, after.Value.Id) < 0))
                .OrderByDescending(g => g.CreatedAt)
                .ThenByDescending(g => g.Id, StringComparer.Ordinal)
                .Take(query.PageSize + 1)
                .ToList();
            string? next = null;
            if (page.Count > query.PageSize)
            {
                page.RemoveAt(page.Count - 1);
                next = StateContinuationToken.Create(page[^1].CreatedAt, page[^1].Id);
            }

            return Task.FromResult(new GrantPage(page, next));
        }
    }

    private sealed class RecordOrder : IComparer<(long At, string Id)>
    {
        public static readonly RecordOrder Instance = new();

        public int Compare((long At, string Id) x, (long At, string Id) y) =>
            x.At != y.At ? x.At.CompareTo(y.At) : string.CompareOrdinal(x.Id, y.Id);
    }
}
