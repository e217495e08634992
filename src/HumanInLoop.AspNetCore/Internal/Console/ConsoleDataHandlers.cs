using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The console's reading endpoints: the session, the inbox with its filters and count, and one approval (through the endpoints' own
/// handler). Every read asks the endpoints' reader policy, as <c>MapApprovalEndpoints</c> does. Stateless apart from the settings; thread-safe.
/// </summary>
internal sealed class ConsoleDataHandlers(ConsoleSettings settings)
{
    private const int CountLimit = 1000;
    private readonly ApprovalEndpointOptions _options = settings.Endpoints;
    private readonly ApprovalReadHandlers _read = new(settings.Endpoints);

    public static ProblemHttpResult ReadOnlyRefusal() =>
        ApprovalProblems.Forbidden("This console is read-only: it shows approvals and records no decision.");

    public async Task<Results<Ok<ConsoleSession>, ProblemHttpResult>> SessionAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, _options.ReaderPolicy, null) is { } refused)
        {
            return refused;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, _options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        Approver? user = ApproverOf(http, _options, approvals!);
        bool mayDecide = !settings.ReadOnly && user is not null && await AuthorizeAsync(http, _options.ApproverPolicy, null) is null;
        return TypedResults.Ok(new ConsoleSession(user?.Id, settings.Title, !mayDecide, mayDecide && _options.ResumeTarget is not null, approvals!.TenantId));
    }

    public async Task<Results<Ok<ConsoleInboxResult>, ProblemHttpResult>> InboxAsync(
        HttpContext http, string? status, string? tool, string? tenant, string? requestedBy, string? mine, string? pageSize, string? continuationToken,
        string? olderThan, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, _options.ReaderPolicy, null) is { } refused)
        {
            return refused;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, _options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        (ConsoleInboxFilter? filter, ProblemHttpResult? invalid) = ConsoleInboxFilter.Parse(
            status, tool, tenant, requestedBy, mine, pageSize, _options.MaxPageSize, olderThan, ConsoleClock.Now(http));
        if (invalid is not null)
        {
            return invalid;
        }

        Approver? viewer = ApproverOf(http, _options, approvals!);
        if (filter!.Mine && viewer is null)
        {
            return ApprovalProblems.Forbidden("The signed-in user has no approver id, so nothing waits for them.");
        }

        try
        {
            ApprovalPage page = await approvals!.ListAsync(filter.ToQuery(approvals, viewer, filter.Status, filter.PageSize, continuationToken), cancellationToken);
            List<ApprovalView> items = [];
            foreach (PendingApproval approval in page.Approvals)
            {
                if (filter.Matches(approval) && await AuthorizeAsync(http, _options.ReaderPolicy, approval) is null)
                {
                    items.Add(Shown(ApprovalViews.Create(approval, viewer, 0, _options.ExcerptMaxLength)));
                }
            }

            // Pending approvals are asked for soonest deadline first across pages; a store written before StateQuery.Order pages
            // newest first, so within each page the soonest deadline still comes first (a stable sort: the store's order among equals).
            items = [.. items.OrderBy(item => item.ExpiresAt)];
            (int waiting, bool capped) = continuationToken is null ? await CountWaitingAsync(http, approvals, viewer, filter, cancellationToken) : (0, false);
            return TypedResults.Ok(new ConsoleInboxResult(items, page.ContinuationToken, waiting, capped));
        }
        catch (ArgumentException)
        {
            return ApprovalProblems.BadRequest("The continuation token is malformed; pass the one the previous page returned.");
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }
    }

    public async Task<Results<Ok<ApprovalView>, ProblemHttpResult>> GetAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        Results<Ok<ApprovalView>, ProblemHttpResult> result = await _read.GetAsync(http, approvalId, cancellationToken);
        return result.Result is Ok<ApprovalView> { Value: { } view } ? TypedResults.Ok(Shown(view)) : result;
    }

    /// <summary>In a read-only console no call is offered for a decision (the server refuses one anyway).</summary>
    private ApprovalView Shown(ApprovalView view) =>
        settings.ReadOnly ? view with { Calls = [.. view.Calls.Select(call => call with { CanDecide = false })] } : view;

    private async Task<(int Count, bool Capped)> CountWaitingAsync(
        HttpContext http, ApprovalService approvals, Approver? viewer, ConsoleInboxFilter filter, CancellationToken cancellationToken)
    {
        int count = 0;
        int scanned = 0;
        string? token = null;
        do
        {
            ApprovalPage page = await approvals.ListAsync(filter.ToQuery(approvals, viewer, ApprovalStatus.Pending, 200, token), cancellationToken);
            foreach (PendingApproval approval in page.Approvals)
            {
                if (filter.Matches(approval) && await AuthorizeAsync(http, _options.ReaderPolicy, approval) is null)
                {
                    count++;
                }
            }

            scanned += page.Approvals.Count;
            token = page.ContinuationToken;
        }
        while (token is not null && scanned < CountLimit);

        return (count, token is not null);
    }
}
