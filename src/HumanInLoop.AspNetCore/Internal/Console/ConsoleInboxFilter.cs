using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The inbox filters of the console, read from the query string: status, tool, tenant, requester, age, and "waiting for me".</summary>
internal sealed record ConsoleInboxFilter(ApprovalStatus? Status, string? Tool, string? Tenant, string? RequestedBy, bool Mine, int PageSize)
{
    /// <summary>Gets the moment an approval must have been held before (<c>olderThan</c>, an ISO 8601 duration such as <c>PT1H</c> or <c>P1D</c>), or <see langword="null"/>.</summary>
    public DateTimeOffset? HeldBefore { get; init; }

    public static (ConsoleInboxFilter? Filter, ProblemHttpResult? Invalid) Parse(
        string? status, string? tool, string? tenant, string? requestedBy, string? mine, string? pageSize, int maxPageSize, string? olderThan, DateTimeOffset now)
    {
        TimeSpan? age = null;
        if (!string.IsNullOrWhiteSpace(olderThan))
        {
            try
            {
                age = System.Xml.XmlConvert.ToTimeSpan(olderThan.Trim());
            }
            catch (FormatException)
            {
            }
            catch (OverflowException)
            {
            }

            if (age is not { } given || given <= TimeSpan.Zero || given > TimeSpan.FromDays(3650))
            {
                return (null, ApprovalProblems.BadRequest("olderThan must be an ISO 8601 duration above zero, such as PT1H or P1D."));
            }
        }

        ApprovalStatus? filter = ApprovalStatus.Pending;
        if (!string.IsNullOrEmpty(status))
        {
            if (string.Equals(status, "all", StringComparison.OrdinalIgnoreCase))
            {
                filter = null;
            }
            else if (Enum.GetNames<ApprovalStatus>().FirstOrDefault(name => string.Equals(name, status, StringComparison.OrdinalIgnoreCase)) is { } name)
            {
                filter = Enum.Parse<ApprovalStatus>(name); // names only, as the endpoints read them
            }
            else
            {
                return (null, ApprovalProblems.BadRequest($"Unknown status '{status}'; use one of {string.Join(", ", Enum.GetNames<ApprovalStatus>())} or all."));
            }
        }

        int size = Math.Min(25, maxPageSize);
        if (!string.IsNullOrEmpty(pageSize) && (!int.TryParse(pageSize, out size) || size < 1 || size > maxPageSize))
        {
            return (null, ApprovalProblems.BadRequest($"pageSize must be a whole number from 1 to {maxPageSize}."));
        }

        bool waitingForMe = false;
        if (!string.IsNullOrEmpty(mine) && !bool.TryParse(mine, out waitingForMe))
        {
            return (null, ApprovalProblems.BadRequest("mine must be true or false."));
        }

        if (waitingForMe && filter is not ApprovalStatus.Pending)
        {
            return (null, ApprovalProblems.BadRequest("mine=true lists what waits for you: use it with status=pending."));
        }

        return (new ConsoleInboxFilter(filter, Blank(tool), Blank(tenant), Blank(requestedBy), waitingForMe, size) { HeldBefore = now - age }, null);
    }

    /// <summary>
    /// The store's query: status, page, "waiting for me" (an index in the store) and, outside a tenant's scope, the tenant. Pending
    /// approvals come soonest deadline first across pages (<see cref="StateOrder.SoonestDeadlineFirst"/>); others newest first.
    /// </summary>
    public StateQuery ToQuery(ApprovalService approvals, Approver? viewer, ApprovalStatus? status, int pageSize, string? continuationToken) => new()
    {
        Status = status,
        Order = status == ApprovalStatus.Pending ? StateOrder.SoonestDeadlineFirst : StateOrder.NewestFirst,
        PageSize = pageSize,
        ContinuationToken = continuationToken,
        Approver = Mine ? viewer : null,
        TenantId = approvals.TenantId is null ? Tenant : null,
    };

    /// <summary>What the store's query cannot filter: the tool (any call of the batch), the requester, the age, the tenant within a tenant's scope.</summary>
    public bool Matches(PendingApproval approval) =>
        (HeldBefore is null || approval.CreatedAt <= HeldBefore) &&
        (Tool is null || approval.Calls.Any(call => string.Equals(call.ToolName, Tool, StringComparison.Ordinal))) &&
        (RequestedBy is null || string.Equals(approval.Context.UserId, RequestedBy, StringComparison.Ordinal)) &&
        (Tenant is null || string.Equals(approval.Context.TenantId, Tenant, StringComparison.Ordinal));

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
