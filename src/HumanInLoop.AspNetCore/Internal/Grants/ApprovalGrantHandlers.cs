using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The standing-grant endpoints: list, read one, revoke. Reading asks <see cref="ApprovalEndpointOptions.ReaderPolicy"/>, revoking
/// <see cref="ApprovalEndpointOptions.ApproverPolicy"/>, each first with a <see langword="null"/> resource and then with the
/// <see cref="ApprovalGrant"/>; a grant the reader policy hides answers exactly as one that does not exist. Stateless apart from
/// the options; thread-safe.
/// </summary>
internal sealed class ApprovalGrantHandlers(ApprovalEndpointOptions options)
{
    private const int MaxReasonLength = 1000;

    public async Task<Results<Ok<GrantListResult>, ProblemHttpResult>> ListAsync(
        HttpContext http, string? tool, string? active, string? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } refused)
        {
            return refused;
        }

        bool activeOnly = false;
        if (!string.IsNullOrEmpty(active) && !bool.TryParse(active, out activeOnly))
        {
            return ApprovalProblems.BadRequest("active must be true or false.");
        }

        int size = Math.Min(50, options.MaxPageSize);
        if (!string.IsNullOrEmpty(pageSize) && (!int.TryParse(pageSize, out size) || size < 1 || size > options.MaxPageSize))
        {
            return ApprovalProblems.BadRequest($"pageSize must be a whole number from 1 to {options.MaxPageSize}.");
        }

        GrantQuery query = new()
        {
            ToolName = string.IsNullOrWhiteSpace(tool) ? null : tool,
            ActiveAt = activeOnly ? Now(http) : null,
            PageSize = size,
            ContinuationToken = string.IsNullOrEmpty(continuationToken) ? null : continuationToken,
        };
        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        ApprovalGrantPage page;
        try
        {
            page = await approvals!.Grants.ListPageAsync(query, cancellationToken);
        }
        catch (ArgumentException)
        {
            return ApprovalProblems.BadRequest("The continuation token is malformed; pass the one the previous page returned.");
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        List<GrantView> items = new(page.Grants.Count);
        foreach (ApprovalGrant grant in page.Grants)
        {
            if (await AuthorizeAsync(http, options.ReaderPolicy, grant) is null)
            {
                items.Add(GrantView.Create(grant));
            }
        }

        return TypedResults.Ok(new GrantListResult(items, page.ContinuationToken));
    }

    public async Task<Results<Ok<GrantView>, ProblemHttpResult>> GetAsync(HttpContext http, string grantId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } refused)
        {
            return refused;
        }

        (ApprovalGrant? grant, ProblemHttpResult? problem) = await FindVisibleAsync(http, grantId, cancellationToken);
        return problem ?? (Results<Ok<GrantView>, ProblemHttpResult>)TypedResults.Ok(GrantView.Create(grant!));
    }

    public async Task<Results<Ok<GrantView>, ProblemHttpResult>> RevokeAsync(HttpContext http, string grantId, CancellationToken cancellationToken)
    {
        if (await CheckPostAsync(http, options) is { } notAllowed)
        {
            return notAllowed;
        }

        // Before the id is looked up, so a user who may not revoke at all cannot tell which grants exist.
        if (await AuthorizeAsync(http, options.ApproverPolicy, null) is { } notApprover)
        {
            return notApprover;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        if (ApproverOf(http, options, approvals!) is not { } revoker)
        {
            return ApprovalProblems.Forbidden("The signed-in user has no id to record as the revoker.");
        }

        (string? reason, ProblemHttpResult? invalid) = await ReadReasonAsync(http, cancellationToken);
        if (invalid is not null)
        {
            return invalid;
        }

        ILogger logger = Logger(http);
        (ApprovalGrant? grant, ProblemHttpResult? problem) = await FindVisibleAsync(http, grantId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (await AuthorizeAsync(http, options.ApproverPolicy, grant) is { } refused)
        {
            Log.GrantRevokeRefused(logger, grantId, $"'{revoker.Id}' does not satisfy the approver policy.");
            return refused;
        }

        try
        {
            ApprovalGrant revoked = await approvals!.Grants.RevokeAsync(grantId, revoker, reason!, cancellationToken);
            Log.GrantRevoked(logger, grantId, revoker.Id);
            return TypedResults.Ok(GrantView.Create(revoked));
        }
        catch (ApprovalException exception)
        {
            Log.GrantRevokeRefused(logger, grantId, exception.Message);
            return ApprovalProblems.From(exception);
        }
    }

    /// <summary>The grant, or the same 404 for one that does not exist and one the reader policy hides (no existence oracle).</summary>
    private async Task<(ApprovalGrant? Grant, ProblemHttpResult? Problem)> FindVisibleAsync(HttpContext http, string grantId, CancellationToken cancellationToken)
    {
        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return (null, noTenant);
        }

        ApprovalGrant grant;
        try
        {
            grant = await approvals!.GetGrantAsync(grantId, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            return (null, ApprovalProblems.From(exception));
        }

        return await AuthorizeAsync(http, options.ReaderPolicy, grant) is null
            ? (grant, null)
            : (null, ApprovalProblems.From(new GrantNotFoundException(grantId)));
    }

    private static async Task<(string? Reason, ProblemHttpResult? Problem)> ReadReasonAsync(HttpContext http, CancellationToken cancellationToken)
    {
        string? reason;
        try
        {
            if (http.Request.HasFormContentType)
            {
                reason = (await http.Request.ReadFormAsync(cancellationToken))["reason"].ToString();
            }
            else if (http.Request.HasJsonContentType())
            {
                reason = (await http.Request.ReadFromJsonAsync<GrantRevokeRequest>(cancellationToken))?.Reason;
            }
            else
            {
                return (null, ApprovalProblems.MediaType("Send the revoke as application/json or as a form."));
            }
        }
        catch (InvalidOperationException exception) when (IsUnreadableBody(exception))
        {
            return (null, ApprovalProblems.MediaType("The body's charset is not one the server reads: send UTF-8."));
        }
        catch (Exception exception) when (exception is JsonException || IsUnreadableBody(exception))
        {
            return (null, ApprovalProblems.BadRequest("The body is not valid JSON of a revoke ({ \"reason\": \"...\" })."));
        }

        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason))
        {
            return (null, ApprovalProblems.BadRequest("'reason' is required to revoke: it is recorded on the grant."));
        }

        return reason.Length > MaxReasonLength
            ? (null, ApprovalProblems.BadRequest($"'reason' is longer than {MaxReasonLength} characters."))
            : (reason, null);
    }

    // The clock AddHumanInLoop gives the ApprovalService (a registered TimeProvider), so "in force" means what the gate means.
    private static DateTimeOffset Now(HttpContext http) => (http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
}
