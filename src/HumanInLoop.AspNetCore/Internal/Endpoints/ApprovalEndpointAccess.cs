using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>What every approval endpoint checks and resolves first: sign-in, policies, anti-forgery, and the services it needs.</summary>
internal static class ApprovalEndpointAccess
{
    private const string LoggerCategory = "HumanInLoop.AspNetCore.ApprovalEndpoints";

    public static bool IsAuthenticated(HttpContext http) => http.User.Identities.Any(i => i.IsAuthenticated);

    /// <summary>Refuses an anonymous user (401), then one who does not satisfy <paramref name="policy"/> for <paramref name="resource"/> (403); <see langword="null"/> when allowed.</summary>
    public static async Task<ProblemHttpResult?> AuthorizeAsync(HttpContext http, string? policy, object? resource)
    {
        if (!IsAuthenticated(http))
        {
            return ApprovalProblems.Unauthenticated();
        }

        if (policy is null)
        {
            return null;
        }

        IAuthorizationService authorization = http.RequestServices.GetService<IAuthorizationService>() ?? throw new InvalidOperationException(
            "The approval endpoints authorize through IAuthorizationService: call services.AddAuthorization(...) and register the policies named in ApprovalEndpointOptions.");
        AuthorizationResult result = await authorization.AuthorizeAsync(http.User, resource, policy);
        return result.Succeeded ? null : ApprovalProblems.Forbidden($"You do not satisfy the '{policy}' policy.");
    }

    /// <summary>
    /// Refuses a <c>POST</c> from an anonymous user (401), then one without a valid anti-forgery token (400) when the options
    /// ask for one; <see langword="null"/> when allowed.
    /// </summary>
    public static async Task<ProblemHttpResult?> CheckPostAsync(HttpContext http, ApprovalEndpointOptions options)
    {
        if (!IsAuthenticated(http))
        {
            return ApprovalProblems.Unauthenticated();
        }

        if (!options.ValidateAntiforgery)
        {
            return null;
        }

        try
        {
            return await Antiforgery(http).IsRequestValidAsync(http) ? null : ApprovalProblems.Antiforgery();
        }
        catch (AntiforgeryValidationException)
        {
            // A form body that cannot be read (a multipart body without its boundary, cut short) carries no token either: a 400, not a 500.
            return ApprovalProblems.Antiforgery();
        }
    }

    /// <summary>
    /// Whether reading the body failed on the body itself: cut short or malformed (an <see cref="IOException"/>, which
    /// <see cref="BadHttpRequestException"/> is too, or <see cref="InvalidDataException"/>), or in a charset no encoding reads
    /// (<see cref="InvalidOperationException"/> over an <see cref="ArgumentException"/> from <c>ReadFromJsonAsync</c>). A 4xx.
    /// </summary>
    public static bool IsUnreadableBody(Exception exception) =>
        exception is IOException or InvalidDataException || (exception is InvalidOperationException && exception.InnerException is ArgumentException);

    /// <summary>
    /// The approval, read for an endpoint: a blank id from the route (<c>/approvals/%20</c>) is a 404 like any unknown id, not the
    /// <see cref="ArgumentException"/> the service throws for it (a 500).
    /// </summary>
    public static Task<PendingApproval> GetApprovalAsync(this ApprovalService approvals, string approvalId, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(approvalId) ? Task.FromException<PendingApproval>(new ApprovalNotFoundException(approvalId)) : approvals.GetAsync(approvalId, cancellationToken);

    /// <summary>The grant, read for an endpoint: a blank id is a 404 like any unknown id.</summary>
    public static Task<ApprovalGrant> GetGrantAsync(this ApprovalService approvals, string grantId, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(grantId) ? Task.FromException<ApprovalGrant>(new GrantNotFoundException(grantId)) : approvals.Grants.GetAsync(grantId, cancellationToken);

    public static ApprovalService Approvals(HttpContext http) =>
        http.RequestServices.GetService<ApprovalService>() ?? throw new InvalidOperationException(
            "The approval endpoints need an ApprovalService: call services.AddHumanInLoop(...) (and a durable store such as AddHumanInLoopSqlite).");

    /// <summary>
    /// The service the user works through: the tenant's (<see cref="ApprovalEndpointOptions.TenantFromUser"/>) or the whole store's,
    /// or a 403 for a user of no tenant when tenants are in use (before any id is looked up: no existence oracle).
    /// </summary>
    public static (ApprovalService? Service, ProblemHttpResult? Refused) ScopedApprovals(HttpContext http, ApprovalEndpointOptions options)
    {
        if (options.TenantFromUser is not { } tenantOf)
        {
            return (Approvals(http), null);
        }

        return tenantOf(http.User) is { } tenant && !string.IsNullOrWhiteSpace(tenant)
            ? (Approvals(http).ForTenant(tenant), null)
            : (null, ApprovalProblems.Forbidden("The signed-in user belongs to no tenant, so no approval is visible to them."));
    }

    /// <summary>The approver the user decides as, carrying their tenant when tenants are in use; <see langword="null"/> to refuse.</summary>
    public static Approver? ApproverOf(HttpContext http, ApprovalEndpointOptions options, ApprovalService approvals)
    {
        Approver? approver = options.ApproverFromUser(http.User);
        return approver is { TenantId: null } && approvals.TenantId is { } tenant ? approver with { TenantId = tenant } : approver;
    }

    /// <summary>
    /// The answer when <paramref name="policy"/> refuses the user for <paramref name="approval"/>: 404, the very answer to an id that does
    /// not exist, when the reader policy hides it from them too (they may not know it exists), else the policy's 403.
    /// </summary>
    public static async Task<ProblemHttpResult?> RefuseUnlessAllowedAsync(HttpContext http, ApprovalEndpointOptions options, string? policy, PendingApproval approval)
    {
        if (await AuthorizeAsync(http, policy, approval) is not { } refused)
        {
            return null;
        }

        return policy != options.ReaderPolicy && await AuthorizeAsync(http, options.ReaderPolicy, approval) is null
            ? refused
            : ApprovalProblems.From(new ApprovalNotFoundException(approval.Id));
    }

    /// <summary>
    /// Reads one approval for a reader: first may this user read approvals at all (so a non-reader cannot tell which ids exist), then
    /// the approval in the user's tenant scope, then may they read this one (one the reader policy hides answers exactly like one
    /// that does not exist: 404, the same body, no existence oracle). Either the approval and its service, or the refusal.
    /// </summary>
    public static async Task<(PendingApproval? Approval, ApprovalService? Service, ProblemHttpResult? Refused)> ReadAsReaderAsync(
        HttpContext http, ApprovalEndpointOptions options, string approvalId, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, options.ReaderPolicy, null) is { } notReader)
        {
            return (null, null, notReader);
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return (null, null, noTenant);
        }

        PendingApproval approval;
        try
        {
            approval = await approvals!.GetApprovalAsync(approvalId, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            return (null, null, ApprovalProblems.From(exception));
        }

        return await RefuseUnlessAllowedAsync(http, options, options.ReaderPolicy, approval) is { } refused ? (null, null, refused) : (approval, approvals, null);
    }

    public static IAntiforgery Antiforgery(HttpContext http) =>
        http.RequestServices.GetService<IAntiforgery>() ?? throw new InvalidOperationException(
            "The approval endpoints validate anti-forgery tokens: call services.AddAntiforgery(), or set ApprovalEndpointOptions.ValidateAntiforgery = false if no caller uses cookies.");

    public static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(LoggerCategory) ?? NullLogger.Instance;
}
