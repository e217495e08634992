using System.Text;
using System.Text.Json;
using HumanInLoop;
using HumanInLoop.Notifications;
using HumanInLoop.Notifications.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoint Slack calls when someone clicks Approve or Reject in a message.</summary>
public static class SlackInteractionEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST {pattern}</c> for Slack's interactive callbacks (set it as the app's interactivity request URL). The
    /// request's <c>v0</c> signature is checked on the raw body, in constant time, before anything is parsed, and a timestamp
    /// more than 5 minutes from now (by the host's <see cref="TimeProvider"/>) is refused. The clicking Slack user is mapped to an
    /// approver with the <see cref="IApproverDirectory"/>; the decision is bound to the fingerprint in the button. A second
    /// click on the same button (or a replay) finds the decision already recorded and is answered as success: one decision.
    /// </summary>
    /// <param name="endpoints">The endpoint builder.</param>
    /// <param name="pattern">The route.</param>
    /// <returns>The endpoint, for further conventions.</returns>
    /// <remarks>
    /// Statuses: 401 for a missing, stale or wrong signature; 400 for a payload that is not a HumanInLoop button; 403 when the
    /// Slack user is not an approver (or not one allowed for the call); 409 when the call was decided otherwise or changed;
    /// 410 when the approval expired; 200 otherwise.
    /// </remarks>
    public static RouteHandlerBuilder MapSlackInteractionEndpoint(this IEndpointRouteBuilder endpoints, string pattern = "/approvals/slack/interactions")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        SlackInteractionOptions options = endpoints.ServiceProvider.GetRequiredService<IOptions<SlackInteractionOptions>>().Value;
        options.Validate();
        Func<HttpContext, Task<IResult>> handler = context => HandleAsync(context, options.SigningSecret, options.MaxBodyBytes);
        return endpoints.MapPost(pattern, (Delegate)handler);
    }

    private static async Task<IResult> HandleAsync(HttpContext context, string signingSecret, int maxBodyBytes)
    {
        IServiceProvider services = context.RequestServices;
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("HumanInLoop.Notifications.SlackInteractions");
        NotificationsTelemetry telemetry = services.GetService<NotificationsTelemetry>() ?? NotificationsTelemetry.Create(null);
        if (context.Request.ContentLength > maxBodyBytes)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        byte[]? body = await ReadBodyAsync(context.Request, maxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        SlackSignatureStatus signature = SlackRequestSignature.Verify(
            signingSecret, context.Request.Headers[SlackRequestSignature.TimestampHeader], context.Request.Headers[SlackRequestSignature.SignatureHeader], body, time.GetUtcNow());
        if (signature != SlackSignatureStatus.Valid)
        {
            NotificationsLog.SlackRefused(logger, $"signature {signature}");
            telemetry.SlackInteractionRefused("signature_" + signature.ToString().ToLowerInvariant());
            return Results.Text($"Request signature {signature.ToString().ToLowerInvariant()}.", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (ParseAction(body) is not { } action)
        {
            NotificationsLog.SlackRefused(logger, "not a HumanInLoop button");
            telemetry.SlackInteractionRefused("not_a_button");
            return Results.BadRequest();
        }

        Approver? approver = await services.GetRequiredService<IApproverDirectory>().FindAsync(ApproverDirectory.Slack, action.UserId, context.RequestAborted);
        if (approver is null)
        {
            NotificationsLog.SlackRefused(logger, "the Slack user is not an approver");
            telemetry.SlackInteractionRefused("not_an_approver");
            return Reply(StatusCodes.Status403Forbidden, "You are not an approver.");
        }

        ApprovalService approvals = services.GetRequiredService<ApprovalService>();
        SlackActionValue value = action.Value;
        (int status, string message) = await DecisionOutcome.DecideAsync(
            approvals, value.ApprovalId, value.CallId, value.Fingerprint, action.Approve, approver, null, "Slack", context.RequestAborted);
        if (status == StatusCodes.Status409Conflict && await IsSameDecisionAsync(approvals, value, action.Approve, approver, context.RequestAborted))
        {
            return Reply(StatusCodes.Status200OK, "Your decision was already recorded.");
        }

        if (status == StatusCodes.Status200OK)
        {
            NotificationsLog.DecidedVia(logger, value.ApprovalId, value.CallId, action.Approve ? "approve" : "reject", "Slack", approver.Id);
            telemetry.SlackDecided(action.Approve ? "approve" : "reject");
        }
        else
        {
            NotificationsLog.SlackRefused(logger, message);
            telemetry.SlackInteractionRefused("decision_refused");
        }

        return Reply(status, message);
    }

    /// <summary>A double click (or replay): the call already carries this approver's same decision on the same fingerprint.</summary>
    private static async Task<bool> IsSameDecisionAsync(ApprovalService approvals, SlackActionValue value, bool approve, Approver approver, CancellationToken cancellationToken)
    {
        try
        {
            PendingApproval approval = await approvals.GetAsync(value.ApprovalId, cancellationToken);
            return approval.FindCall(value.CallId) is { } call && call.Fingerprint == value.Fingerprint && call.DecidedBy == approver.Id &&
                call.Decision == (approve ? CallDecisionStatus.Approved : CallDecisionStatus.Rejected);
        }
        catch (ApprovalException)
        {
            return false;
        }
    }

    private static IResult Reply(int status, string text) =>
        Results.Json(new Dictionary<string, object> { ["response_type"] = "ephemeral", ["replace_original"] = false, ["text"] = text }, statusCode: status);

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        using MemoryStream buffer = new();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a <c>block_actions</c> payload with one of our buttons; null for anything else. Runs only on a verified body.</summary>
    private static SlackAction? ParseAction(byte[] body)
    {
        try
        {
            Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
            if (!form.TryGetValue("payload", out Microsoft.Extensions.Primitives.StringValues payload) || payload.Count != 1)
            {
                return null;
            }

            using JsonDocument document = JsonDocument.Parse(payload.ToString(), new JsonDocumentOptions { MaxDepth = 32 });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String || type.GetString() != "block_actions" ||
                !root.TryGetProperty("user", out JsonElement user) || user.ValueKind != JsonValueKind.Object ||
                !user.TryGetProperty("id", out JsonElement userId) || userId.ValueKind != JsonValueKind.String ||
                !root.TryGetProperty("actions", out JsonElement actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() != 1)
            {
                return null;
            }

            JsonElement action = actions[0];
            if (action.ValueKind != JsonValueKind.Object || !action.TryGetProperty("action_id", out JsonElement actionId) || actionId.ValueKind != JsonValueKind.String ||
                !action.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            bool approve = actionId.GetString() == SlackActionValue.ApproveActionId;
            if (!approve && actionId.GetString() != SlackActionValue.RejectActionId)
            {
                return null;
            }

            return SlackActionValue.TryParse(value.GetString()) is { } parsed && userId.GetString() is { Length: > 0 } id ? new SlackAction(id, approve, parsed) : null;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string holding an escaped lone surrogate ("\ud800") is valid JSON but not text.
            return null;
        }
    }

    private sealed record SlackAction(string UserId, bool Approve, SlackActionValue Value);
}
