using System.Security.Claims;

namespace HumanInLoop.AspNetCore;

/// <summary>Settings of the endpoints mapped by <c>MapApprovalEndpoints</c>: who may read, decide and resume, and how to resume.</summary>
/// <remarks>Configured once, when the endpoints are mapped; later changes are ignored. Not thread-safe while being configured.</remarks>
public sealed class ApprovalEndpointOptions
{
    /// <summary>The name of the default approver policy. Register it: <c>services.AddAuthorization(o => o.AddPolicy(ApprovalEndpointOptions.DefaultApproverPolicy, p => p.RequireRole("approver")))</c>.</summary>
    public const string DefaultApproverPolicy = "HumanInLoop.Approver";

    private int _maxPageSize = 100;
    private int _excerptMessages = 6;
    private int _excerptMaxLength = 500;
    private Func<ClaimsPrincipal, Approver?> _approverFromUser = DefaultApprover;

    /// <summary>
    /// Gets or sets the authorization policy a user must satisfy to decide. It is evaluated with
    /// <see cref="Microsoft.AspNetCore.Authorization.IAuthorizationService"/> and a <see langword="null"/> resource before the id is
    /// looked up (403: may this user decide at all), then with the <see cref="PendingApproval"/> as the resource (403, or 404 like an
    /// unknown id when <see cref="ReaderPolicy"/> hides the approval from the user too), then the approval's own rules apply (the
    /// approvers a policy named, <see cref="ApprovalOptions.PreventSelfApproval"/>).
    /// </summary>
    /// <value>Default <see cref="DefaultApproverPolicy"/>, which the host must register (an unregistered policy fails closed). <see langword="null"/>: any authenticated user.</value>
    public string? ApproverPolicy { get; set; } = DefaultApproverPolicy;

    /// <summary>Gets or sets the policy a user must satisfy to list and read approvals (they show arguments and conversation excerpts).</summary>
    /// <remarks>
    /// Evaluated with a <see langword="null"/> resource first (may the user read approvals at all: for the list, and for
    /// <c>GET /{approvalId}</c> before the id is looked up, so a non-reader cannot tell which ids exist), then with each
    /// <see cref="PendingApproval"/> as the resource (every item of a page, the one approval read): a resource-based requirement (for example, the
    /// approval's <see cref="CallerContext.TenantId"/> must match the user's) hides the approvals a user may not read: a hidden
    /// approval answers every endpoint exactly like an id that does not exist (404, the same body). A page can then hold fewer
    /// items than asked for; its continuation token still leads to the next one. For tenants, prefer <see cref="TenantFromUser"/>,
    /// which filters in the store's query and keeps pages full.
    /// </remarks>
    /// <value>Default <see cref="DefaultApproverPolicy"/>. <see langword="null"/>: any authenticated user.</value>
    public string? ReaderPolicy { get; set; } = DefaultApproverPolicy;

    /// <summary>
    /// Gets or sets the policy that lets a user resume approvals of other users' conversations. The requester
    /// (<see cref="CallerContext.UserId"/> equal to the user's id) may always resume their own. Anyone else it refuses gets 403, or
    /// 404 like an unknown id when <see cref="ReaderPolicy"/> hides the approval from them too.
    /// </summary>
    /// <value>Default <see cref="DefaultApproverPolicy"/>. <see langword="null"/>: any authenticated user.</value>
    public string? ResumePolicy { get; set; } = DefaultApproverPolicy;

    /// <summary>
    /// Gets or sets a value indicating whether <c>POST</c> endpoints (decide, resume) validate an anti-forgery token
    /// (header or form field, with its cookie) through <see cref="Microsoft.AspNetCore.Antiforgery.IAntiforgery"/>.
    /// </summary>
    /// <value>
    /// Default <see langword="true"/>. Turn it off only when every caller authenticates with a header the browser does not
    /// attach by itself (a bearer token), never with cookies.
    /// </value>
    public bool ValidateAntiforgery { get; set; } = true;

    /// <summary>
    /// Gets or sets how the approver is built from the authenticated user; return <see langword="null"/> to refuse.
    /// </summary>
    /// <value>Default: the id is the <see cref="ClaimTypes.NameIdentifier"/> claim, else the identity's name; the roles are the identity's role claims.</value>
    public Func<ClaimsPrincipal, Approver?> ApproverFromUser
    {
        get => _approverFromUser;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _approverFromUser = value;
        }
    }

    /// <summary>
    /// Gets or sets how the tenant of the authenticated user is found (for example, a <c>tenant_id</c> claim), for multi-tenant hosts.
    /// When set, every endpoint works through <see cref="ApprovalService.ForTenant"/> of that tenant and approvers carry it
    /// (<see cref="Approver.TenantId"/>): another tenant's approvals and grants are never listed, and their ids answer exactly like
    /// ids that do not exist (404, the same body). A user for whom it returns <see langword="null"/> or white space is refused (403)
    /// before any id is looked up.
    /// </summary>
    /// <value>Default <see langword="null"/>: no tenant scoping (one tenant, or tenants separated by <see cref="ReaderPolicy"/>).</value>
    public Func<ClaimsPrincipal, string?>? TenantFromUser { get; set; }

    /// <summary>
    /// Gets or sets what a resume sends the conversation through: the chat pipeline (function invocation outside the approval gate)
    /// and the options with the tools. Without it, the resume endpoint answers 501.
    /// </summary>
    public Func<ApprovalResumeArguments, ValueTask<ApprovalResumeTarget>>? ResumeTarget { get; set; }

    /// <summary>Gets or sets the largest page the inbox returns.</summary>
    /// <value>Default 100; from 1 to 1000.</value>
    public int MaxPageSize
    {
        get => _maxPageSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1000);
            _maxPageSize = value;
        }
    }

    /// <summary>Gets or sets how many of the last messages before the calls the review screen shows.</summary>
    /// <value>Default 6; 0 shows none.</value>
    public int ExcerptMessages
    {
        get => _excerptMessages;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _excerptMessages = value;
        }
    }

    /// <summary>Gets or sets the longest text of one excerpt message, in characters; longer text is cut with an ellipsis.</summary>
    /// <value>Default 500; at least 16.</value>
    public int ExcerptMaxLength
    {
        get => _excerptMaxLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 16);
            _excerptMaxLength = value;
        }
    }

    internal ApprovalEndpointOptions Clone() => (ApprovalEndpointOptions)MemberwiseClone();

    private static Approver? DefaultApprover(ClaimsPrincipal user)
    {
        string? id = user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? user.Identity?.Name;
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        List<string> roles = [];
        foreach (ClaimsIdentity identity in user.Identities)
        {
            roles.AddRange(identity.FindAll(identity.RoleClaimType).Select(c => c.Value));
        }

        return new Approver(id, roles.Distinct(StringComparer.Ordinal).ToArray());
    }
}
