using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Maps HumanInLoop's typed errors onto HTTP statuses and problem details.</summary>
internal static class ApprovalProblems
{
    public const string TypeBase = "https://humaninloop.dev/problems/";

    public static bool TryMap(Exception exception, out int status, out string title)
    {
        (status, title) = exception switch
        {
            GrantNotFoundException => (StatusCodes.Status404NotFound, "No such grant."),
            ApprovalNotFoundException { CallId: null } => (StatusCodes.Status404NotFound, "No such approval."),
            ApprovalNotFoundException => (StatusCodes.Status404NotFound, "No such call in this approval."),
            ApprovalConflictException => (StatusCodes.Status409Conflict, "The approval is not in a state that allows this."),
            ApprovalExpiredException => (StatusCodes.Status410Gone, "The approval expired; nothing ran."),
            ApprovalForbiddenException => (StatusCodes.Status403Forbidden, "You may not make this decision."),
            ApprovalIntegrityException => (StatusCodes.Status409Conflict, "The call is not the one that was shown or approved; nothing ran."),
            ApprovalStateFormatException => (StatusCodes.Status500InternalServerError, "The stored approval cannot be read."),
            ApprovalToolMissingException => (StatusCodes.Status503ServiceUnavailable, "A tool the approval needs is not offered now; nothing ran."),
            _ => (0, ""),
        };
        return status != 0;
    }

    /// <summary>The problem for <paramref name="exception"/>.</summary>
    /// <param name="exception">The typed error.</param>
    /// <param name="selfApproval">Whether the refusal is of a requester deciding their own request (said as <c>selfApproval: true</c>, so a page can say it in plain words).</param>
    public static ProblemHttpResult From(ApprovalException exception, bool selfApproval = false)
    {
        TryMap(exception, out int status, out string title);
        string kind = exception switch
        {
            ApprovalNotFoundException or GrantNotFoundException => "not-found",
            ApprovalConflictException => "conflict",
            ApprovalExpiredException => "expired",
            ApprovalForbiddenException => "forbidden",
            ApprovalIntegrityException => "integrity",
            ApprovalToolMissingException => "tool-missing",
            _ => "unreadable",
        };
        Dictionary<string, object?> extensions = exception is GrantNotFoundException missing
            ? new() { ["grantId"] = missing.GrantId }
            : new() { ["approvalId"] = exception.ApprovalId };
        if (exception.CallId is { } callId)
        {
            extensions["callId"] = callId;
        }

        if (exception is ApprovalConflictException conflict)
        {
            extensions["approvalStatus"] = conflict.Status.ToString();
        }

        if (exception is ApprovalExpiredException expired)
        {
            extensions["expiresAt"] = expired.ExpiresAt;
        }

        if (selfApproval && exception is ApprovalForbiddenException)
        {
            extensions["selfApproval"] = true;
        }

        if (exception is ApprovalForbiddenException { ArgumentNames.Count: > 0 } denied)
        {
            // The edited arguments the policies deny because of: a form shows the refusal beside these fields.
            extensions["arguments"] = denied.ArgumentNames;
        }

        if (exception is ApprovalToolMissingException missingTools)
        {
            extensions["toolNames"] = missingTools.ToolNames;
        }

        string? detail = PublicDetail(exception);
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypeBase + kind, extensions: extensions);
    }

    /// <summary>What of an approval error may be shown to the caller: the state-format message may describe stored data; the others are written for the people concerned.</summary>
    public static string? PublicDetail(Exception exception) => exception is ApprovalStateFormatException ? null : exception.Message;

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.", type: TypeBase + "bad-request");

    public static ProblemHttpResult Unauthenticated() =>
        TypedResults.Problem("Sign in first.", statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in.", type: TypeBase + "unauthenticated");

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "You may not make this decision.", type: TypeBase + "forbidden");

    public static ProblemHttpResult MediaType(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.", type: TypeBase + "media-type");

    public static ProblemHttpResult NotConfigured(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status501NotImplemented, title: "Not configured on this host.", type: TypeBase + "not-configured");

    public static ProblemHttpResult Antiforgery() =>
        TypedResults.Problem(
            "The anti-forgery token is missing or invalid. Get one from the antiforgery endpoint and send it in its header (or form field) with its cookie.",
            statusCode: StatusCodes.Status400BadRequest, title: "Cross-site request refused.", type: TypeBase + "antiforgery");
}
