using System.Diagnostics.CodeAnalysis;
using HumanInLoop.AspNetCore;
using HumanInLoop.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps HumanInLoop's approval endpoints in one line: <c>app.MapApprovalEndpoints("/approvals")</c>.</summary>
public static class ApprovalEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the approval endpoints under <paramref name="prefix"/>:
    /// <list type="bullet">
    /// <item><c>GET {prefix}</c>: the inbox, newest first (<c>?status=pending|decided|...|all&amp;conversationId=&amp;pageSize=&amp;continuationToken=</c>).</item>
    /// <item><c>GET {prefix}/antiforgery</c>: an anti-forgery token for the signed-in user (and its cookie).</item>
    /// <item><c>GET {prefix}/{approvalId}</c>: one approval: its calls, arguments, reasons, fingerprints and a conversation excerpt.</item>
    /// <item><c>POST {prefix}/{approvalId}/calls/{callId}/decision</c>: approve, reject with a reason, approve edited arguments, or answer
    /// in place of the tool (JSON or form fields: <c>decision</c> <c>approve</c>, <c>reject</c> or <c>respond</c>, the call's <c>fingerprint</c>
    /// as shown, <c>reason</c>, <c>arguments</c>, <c>result</c> (required to respond: text or JSON the model receives; the tool never runs),
    /// and with an approval an optional standing <c>grant</c>: <c>scope</c>, <c>duration</c>, <c>argumentBounds</c>).</item>
    /// <item><c>POST {prefix}/{approvalId}/resume</c>: runs what was approved (at most once) and streams the answer as Server-Sent Events.</item>
    /// <item><c>GET {prefix}/grants</c>: the standing grants, newest first (<c>?tool=&amp;active=true&amp;pageSize=&amp;continuationToken=</c>).</item>
    /// <item><c>GET {prefix}/grants/{grantId}</c>: one standing grant.</item>
    /// <item><c>POST {prefix}/grants/{grantId}/revoke</c>: revokes a grant (JSON or form field <c>reason</c>); its maker or a granter only.</item>
    /// </list>
    /// Errors are problem details: 400 bad input or a missing anti-forgery token, 401 not signed in, 403 not an allowed approver
    /// (or self-approval), 404 unknown approval or call, 409 already decided, claimed, completed or not the call that was shown,
    /// 410 expired, 501 a grant on a store that keeps none. When a decision or resume is refused, nothing runs.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <param name="configure">Sets the policies and how a resume reaches the chat pipeline (<see cref="ApprovalEndpointOptions.ResumeTarget"/>).</param>
    /// <returns>The route group, to add metadata or filters (for example <c>.RequireCors(...)</c>).</returns>
    /// <remarks>
    /// Needs <c>services.AddHumanInLoop(...)</c>, authentication, <c>services.AddAuthorization(...)</c> with the policies named in
    /// the options, and <c>services.AddAntiforgery()</c> unless <see cref="ApprovalEndpointOptions.ValidateAntiforgery"/> is off.
    /// </remarks>
    public static RouteGroupBuilder MapApprovalEndpoints(
        this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/approvals", Action<ApprovalEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        ApprovalEndpointOptions options = new();
        configure?.Invoke(options);
        options = options.Clone();
        ApprovalReadHandlers read = new(options);

        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        group.WithTags("Approvals");
        group.MapGet("/", read.ListAsync);
        group.MapGet("/antiforgery", ApprovalReadHandlers.AntiforgeryToken);
        group.MapGet("/{approvalId}", read.GetAsync);
        group.MapPost("/{approvalId}/calls/{callId}/decision", new ApprovalDecideHandler(options).DecideAsync)
            .Accepts<ApprovalDecisionRequest>("application/json", "application/x-www-form-urlencoded", "multipart/form-data");
        ApprovalGrantHandlers grants = new(options);
        group.MapGet("/grants", grants.ListAsync);
        group.MapGet("/grants/{grantId}", grants.GetAsync);
        group.MapPost("/grants/{grantId}/revoke", grants.RevokeAsync)
            .Accepts<GrantRevokeRequest>("application/json", "application/x-www-form-urlencoded", "multipart/form-data");
        group.MapPost("/{approvalId}/resume", new ApprovalResumeHandler(options).ResumeAsync).Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return group;
    }
}
