using HumanInLoop;
using HumanInLoop.Notifications;
using HumanInLoop.Notifications.Internal;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoints that e-mailed approve/reject links open.</summary>
public static class ApprovalLinkEndpointRouteBuilderExtensions
{
    private const int MaxReasonLength = 1000;

    /// <summary>
    /// Maps <c>GET {pattern}/{approve|reject}/{token}</c>, which checks the link and shows the call with a confirmation form
    /// (it decides nothing, so mail scanners that open links are harmless), and <c>POST</c> to the same address, which checks
    /// the antiforgery token, the link (signature, decision, expiry, single use), the call's fingerprint and the approver,
    /// then records the decision.
    /// </summary>
    /// <param name="endpoints">The endpoint builder.</param>
    /// <param name="pattern">The route prefix; <see cref="ApprovalLinkOptions.BaseUri"/> must point here.</param>
    /// <returns>The group, to add conventions such as <c>RequireAuthorization()</c> or rate limiting.</returns>
    /// <remarks>
    /// Statuses: 403 for a link that is not valid (forged, altered, for the other decision, or its recipient may not decide),
    /// 410 for an expired or already used link or an expired approval, 409 when the call was already decided or changed,
    /// 400 when the antiforgery check fails. Needs <c>AddHumanInLoopNotifications().AddApprovalLinks(...)</c>.
    /// </remarks>
    public static RouteGroupBuilder MapApprovalLinkEndpoints(this IEndpointRouteBuilder endpoints, string pattern = "/approvals/links")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        _ = endpoints.ServiceProvider.GetService<ApprovalLinkIssuer>() ?? throw new InvalidOperationException(
            "MapApprovalLinkEndpoints needs approval links: call services.AddHumanInLoopNotifications(...).AddApprovalLinks(...).");
        RouteGroupBuilder group = endpoints.MapGroup(pattern);
        group.MapGet("/{decision}/{token}", (HttpContext context, string decision, string token) => ReviewAsync(context, decision, token));
        group.MapPost("/{decision}/{token}", (HttpContext context, string decision, string token) => DecideAsync(context, decision, token));
        return group;
    }

    private static async Task<IResult> ReviewAsync(HttpContext context, string decision, string token)
    {
        LinkCheck check = await CheckAsync(context, decision, token);
        if (check.Refusal is { } refusal)
        {
            return refusal;
        }

        AntiforgeryTokenSet tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return LinkPages.Review(check.Approval!, check.Call!, decision, tokens.FormFieldName, tokens.RequestToken ?? "");
    }

    private static async Task<IResult> DecideAsync(HttpContext context, string decision, string token)
    {
        if (!LinkDecision.IsValid(decision))
        {
            return Results.NotFound();
        }

        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            Log(context, "antiforgery", null, "antiforgery");
            return LinkPages.Message(StatusCodes.Status400BadRequest, "Please use the confirmation page",
                "This decision did not come from the confirmation page (or the page is too old). Open the link again and confirm there.");
        }

        // The page posts a form; anything else (JSON with the token in a header, a truncated body) is not a confirmation.
        IFormCollection form;
        try
        {
            form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : FormCollection.Empty;
        }
        catch (InvalidDataException)
        {
            form = FormCollection.Empty;
        }

        if (form["confirm"] != decision)
        {
            Refused(context, "not_confirmed");
            return LinkPages.Message(StatusCodes.Status400BadRequest, "Please confirm", "Confirm the decision with the button on the page.");
        }

        string? reason = form["reason"].ToString().Trim();
        if (reason.Length > MaxReasonLength)
        {
            reason = reason[..MaxReasonLength];
        }

        INotificationStore store = context.RequestServices.GetRequiredService<INotificationStore>();
        LinkCheck check = await CheckAsync(context, decision, token);
        if (check.Refusal is { } refusal)
        {
            // The same link confirmed twice at once: the confirmation that lost can find the call decided (by the other) after
            // it found the link unused. What happened to it is that the link was used.
            return check.AlreadyDecided && await store.IsLinkTokenUsedAsync(LinkToken.Hash(token), context.RequestAborted)
                ? AlreadyUsed(context, check.Claims!.ApprovalId)
                : refusal;
        }

        LinkClaims claims = check.Claims!;
        TimeProvider time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        if (!await store.TryConsumeLinkTokenAsync(LinkToken.Hash(token), claims.ExpiresAt, time.GetUtcNow(), context.RequestAborted))
        {
            return AlreadyUsed(context, claims.ApprovalId);
        }

        ApprovalService approvals = context.RequestServices.GetRequiredService<ApprovalService>();
        bool approve = decision == LinkDecision.Approve;
        using System.Diagnostics.Activity? activity = NotificationsTelemetry.ActivitySource.StartActivity(NotificationsTelemetry.LinkDecideActivity);
        activity?.SetTag(NotificationsTelemetry.ApprovalIdTag, claims.ApprovalId).SetTag(NotificationsTelemetry.DecisionTag, decision);
        (int status, string message) = await DecisionOutcome.DecideAsync(
            approvals, claims.ApprovalId, claims.CallId, claims.Fingerprint, approve, check.Approver!, reason, "an e-mail link", context.RequestAborted);
        activity?.SetTag(NotificationsTelemetry.OutcomeTag, status == StatusCodes.Status200OK ? "decided" : "refused");
        if (status == StatusCodes.Status200OK)
        {
            NotificationsLog.DecidedVia(Logger(context), claims.ApprovalId, claims.CallId, decision, "link", check.Approver!.Id);
            Telemetry(context).LinkUsed(decision);
        }
        else
        {
            Log(context, message, claims.ApprovalId, "decision_refused");
        }

        return LinkPages.Message(status, status == StatusCodes.Status200OK ? (approve ? "Approved" : "Rejected") : "Not recorded", message);
    }

    /// <summary>Everything both verbs check: the link, that it is unused, the stored call and its fingerprint, and the approver.</summary>
    private static async Task<LinkCheck> CheckAsync(HttpContext context, string decision, string token)
    {
        if (!LinkDecision.IsValid(decision))
        {
            return new LinkCheck(Results.NotFound());
        }

        IServiceProvider services = context.RequestServices;
        ApprovalLinkIssuer issuer = services.GetRequiredService<ApprovalLinkIssuer>();
        (LinkTokenStatus status, LinkClaims? claims) = issuer.Verify(token);
        if (status == LinkTokenStatus.Invalid || claims is null || claims.Decision != decision)
        {
            bool invalid = status == LinkTokenStatus.Invalid;
            Log(context, invalid ? "invalid token" : "token for the other decision", claims?.ApprovalId, invalid ? "invalid" : "other_decision");
            return new LinkCheck(Invalid());
        }

        if (status == LinkTokenStatus.Expired)
        {
            Log(context, "expired token", claims.ApprovalId, "expired");
            return new LinkCheck(LinkPages.Message(StatusCodes.Status410Gone, "Link expired", "This link has expired. Nothing was decided."));
        }

        if (await services.GetRequiredService<INotificationStore>().IsLinkTokenUsedAsync(LinkToken.Hash(token), context.RequestAborted))
        {
            return new LinkCheck(AlreadyUsed(context, claims.ApprovalId));
        }

        // The recipient is found first so that an approver of a tenant reads through that tenant's service: another tenant's
        // approval (a notification routed wrongly) answers exactly like one that does not exist, after the same single read.
        Approver? approver = await services.GetRequiredService<IApproverDirectory>().FindAsync(claims.RecipientKind, claims.RecipientId, context.RequestAborted);
        ApprovalService approvals = services.GetRequiredService<ApprovalService>();
        PendingApproval approval;
        try
        {
            approval = await (approver?.TenantId is { } tenant ? approvals.ForTenant(tenant) : approvals).GetAsync(claims.ApprovalId, context.RequestAborted);
        }
        catch (ApprovalNotFoundException)
        {
            Refused(context, "not_found");
            return new LinkCheck(LinkPages.Message(StatusCodes.Status404NotFound, "Not found", "This approval no longer exists."));
        }

        PendingToolCall? call = approval.FindCall(claims.CallId);
        if (call is null)
        {
            Refused(context, "invalid");
            return new LinkCheck(Invalid());
        }

        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(call.Fingerprint), System.Text.Encoding.UTF8.GetBytes(claims.Fingerprint)))
        {
            Log(context, "fingerprint changed", claims.ApprovalId, "call_changed");
            return new LinkCheck(LinkPages.Message(StatusCodes.Status409Conflict, "The call changed", "The call is not the one this link was made for. Nothing was decided."));
        }

        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        if (approval.Status == ApprovalStatus.Expired || call.Decision == CallDecisionStatus.Expired || (approval.Status == ApprovalStatus.Pending && time.GetUtcNow() >= approval.ExpiresAt))
        {
            Refused(context, "approval_expired");
            return new LinkCheck(LinkPages.Message(StatusCodes.Status410Gone, "Approval expired", "The approval expired before a decision; nothing ran."));
        }

        if (approval.Status != ApprovalStatus.Pending || call.Decision != CallDecisionStatus.AwaitingApproval)
        {
            string who = call.DecidedBy is null ? "" : $" by {call.DecidedBy}";
            Refused(context, "already_decided");
            return new LinkCheck(
                LinkPages.Message(StatusCodes.Status409Conflict, "Already decided",
                    $"This call was already {call.Decision.ToString().ToLowerInvariant()}{who}, or the approval takes no more decisions ({approval.Status})."),
                claims,
                AlreadyDecided: true);
        }

        if (approver is null)
        {
            Log(context, "recipient is not an approver", claims.ApprovalId, "not_an_approver");
            return new LinkCheck(LinkPages.Message(StatusCodes.Status403Forbidden, "Not allowed", "The person this link was sent to may not decide approvals."));
        }

        return new LinkCheck(null, claims, approval, call, approver);
    }

    private static IResult AlreadyUsed(HttpContext context, string approvalId)
    {
        Log(context, "already used", approvalId, "already_used");
        return LinkPages.Message(StatusCodes.Status410Gone, "Link already used", "This link was already used. Each link works once.");
    }

    private static IResult Invalid() => LinkPages.Message(StatusCodes.Status403Forbidden, "Link not valid", "This link is not valid. Nothing was decided.");

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("HumanInLoop.Notifications.ApprovalLinks");

    private static void Log(HttpContext context, string reason, string? approvalId, string metricReason)
    {
        NotificationsLog.LinkRefused(Logger(context), reason, approvalId);
        Refused(context, metricReason);
    }

    /// <summary>Counts a refusal by a short, fixed reason (the log has the detail).</summary>
    private static void Refused(HttpContext context, string reason) => Telemetry(context).LinkRefused(reason);

    private static NotificationsTelemetry Telemetry(HttpContext context) =>
        context.RequestServices.GetService<NotificationsTelemetry>() ?? NotificationsTelemetry.Create(null);

    private sealed record LinkCheck(
        IResult? Refusal, LinkClaims? Claims = null, PendingApproval? Approval = null, PendingToolCall? Call = null, Approver? Approver = null, bool AlreadyDecided = false);
}
