using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The reading endpoints: the inbox, one approval, and an anti-forgery token. Stateless apart from the options; thread-safe.</summary>
internal sealed class ApprovalReadHandlers(ApprovalEndpointOptions options)
{
    public async Task<Results<Ok<ApprovalListResult>, ProblemHttpResult>> ListAsync(
        HttpContext http, string? status, string? conversationId, string? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } refused)
        {
            return refused;
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
                // Names only: Enum.TryParse would also take numbers and "a,b" (flags syntax), silently filtering by neither.
                filter = Enum.Parse<ApprovalStatus>(name);
            }
            else
            {
                return ApprovalProblems.BadRequest($"Unknown status '{status}'; use one of {string.Join(", ", Enum.GetNames<ApprovalStatus>())} or all.");
            }
        }

        int size = Math.Min(50, options.MaxPageSize);
        if (!string.IsNullOrEmpty(pageSize) && (!int.TryParse(pageSize, out size) || size < 1 || size > options.MaxPageSize))
        {
            return ApprovalProblems.BadRequest($"pageSize must be a whole number from 1 to {options.MaxPageSize}.");
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        ApprovalPage page;
        try
        {
            page = await approvals!.ListAsync(
                new StateQuery { Status = filter, ConversationId = conversationId, PageSize = size, ContinuationToken = continuationToken }, cancellationToken);
        }
        catch (ArgumentException)
        {
            return ApprovalProblems.BadRequest("The continuation token is malformed; pass the one the previous page returned.");
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        // The reader policy is asked again for each approval, as GET /{id} asks it: the list shows only what the user may read.
        Approver? viewer = ApproverOf(http, options, approvals);
        List<ApprovalView> items = new(page.Approvals.Count);
        foreach (PendingApproval approval in page.Approvals)
        {
            if (await AuthorizeAsync(http, options.ReaderPolicy, approval) is null)
            {
                items.Add(ApprovalViews.Create(approval, viewer, 0, options.ExcerptMaxLength));
            }
        }

        return TypedResults.Ok(new ApprovalListResult(items, page.ContinuationToken));
    }

    public async Task<Results<Ok<ApprovalView>, ProblemHttpResult>> GetAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        // As for the inbox: may this user read approvals at all, then this one; a hidden one answers like an unknown id (404).
        (PendingApproval? found, ApprovalService? approvals, ProblemHttpResult? refused) = await ReadAsReaderAsync(http, options, approvalId, cancellationToken);
        if (found is not { } approval)
        {
            return refused!;
        }

        Approver? viewer = ApproverOf(http, options, approvals!);
        return TypedResults.Ok(ApprovalViews.Create(approval, viewer, options.ExcerptMessages, options.ExcerptMaxLength));
    }

    public static Ok<AntiforgeryTokenResult> AntiforgeryToken(HttpContext http)
    {
        AntiforgeryTokenSet tokens = Antiforgery(http).GetAndStoreTokens(http);
        return TypedResults.Ok(new AntiforgeryTokenResult(tokens.RequestToken!, tokens.HeaderName, tokens.FormFieldName));
    }
}
