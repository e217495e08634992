using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Reads a decision's body (JSON or form) and turns it into an <see cref="ApprovalDecision"/>, or says what is wrong with it.</summary>
internal static class ApprovalDecisionReader
{
    private const int MaxReasonLength = 1000;

    /// <summary>The longest answer in place of the tool an approver may post, in characters of JSON: an answer, not a data dump.</summary>
    private const int MaxResultLength = 32 * 1024;

    public static async Task<(ApprovalDecisionRequest? Body, ProblemHttpResult? Problem)> ReadAsync(HttpContext http, CancellationToken cancellationToken)
    {
        try
        {
            if (http.Request.HasFormContentType)
            {
                IFormCollection form = await http.Request.ReadFormAsync(cancellationToken);
                JsonElement? arguments = null;
                if (form.TryGetValue("arguments", out var raw) && !string.IsNullOrWhiteSpace(raw.ToString()))
                {
                    using JsonDocument document = JsonDocument.Parse(raw.ToString());
                    arguments = document.RootElement.Clone();
                }

                ApprovalGrantRequest? grant = null;
                if (form.TryGetValue("grant", out var grantText) && !string.IsNullOrWhiteSpace(grantText.ToString()))
                {
                    grant = JsonSerializer.Deserialize<ApprovalGrantRequest>(grantText.ToString(), JsonSerializerOptions.Web);
                }

                JsonElement? result = form.TryGetValue("result", out var text) && !string.IsNullOrWhiteSpace(text.ToString())
                    ? JsonSerializer.SerializeToElement(text.ToString())
                    : null;
                return (new ApprovalDecisionRequest
                {
                    Result = result,
                    Grant = grant,
                    Decision = form["decision"].ToString(),
                    Fingerprint = form["fingerprint"].ToString(),
                    Reason = form["reason"].ToString(),
                    Arguments = arguments,
                }, null);
            }

            if (!http.Request.HasJsonContentType())
            {
                return (null, TypedResults.Problem("Send the decision as application/json or as a form.", statusCode: StatusCodes.Status415UnsupportedMediaType,
                    title: "Unsupported media type.", type: ApprovalProblems.TypeBase + "media-type"));
            }

            ApprovalDecisionRequest? body = await http.Request.ReadFromJsonAsync<ApprovalDecisionRequest>(cancellationToken);
            return body is null ? (null, ApprovalProblems.BadRequest("The body is empty.")) : (body, null);
        }
        catch (JsonException)
        {
            return (null, ApprovalProblems.BadRequest("The body is not valid JSON of a decision (decision, fingerprint, reason, arguments, result, grant)."));
        }
        catch (InvalidOperationException exception) when (ApprovalEndpointAccess.IsUnreadableBody(exception))
        {
            return (null, ApprovalProblems.MediaType("The body's charset is not one the server reads: send UTF-8."));
        }
        catch (Exception exception) when (ApprovalEndpointAccess.IsUnreadableBody(exception))
        {
            return (null, ApprovalProblems.BadRequest(exception is BadHttpRequestException or InvalidDataException ? exception.Message : "The body could not be read to its end."));
        }
    }

    public static (ApprovalDecision? Decision, ProblemHttpResult? Problem) ToDecision(ApprovalDecisionRequest body, Approver approver)
    {
        if (string.IsNullOrWhiteSpace(body.Fingerprint))
        {
            return (null, ApprovalProblems.BadRequest("'fingerprint' is required: send the fingerprint of the call as it was shown to you."));
        }

        string? reason = string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim();
        if (reason?.Length > MaxReasonLength)
        {
            // It is stored in every later save of the approval, shown to approvers and told to the model: keep it a reason.
            return (null, ApprovalProblems.BadRequest($"'reason' is longer than {MaxReasonLength} characters."));
        }
        ApprovalDecision decision;
        switch (body.Decision?.Trim().ToLowerInvariant())
        {
            case "approve" when body.Arguments is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } arguments:
                if (arguments.ValueKind != JsonValueKind.Object)
                {
                    return (null, ApprovalProblems.BadRequest("'arguments' must be a JSON object with the complete arguments to run."));
                }

                Dictionary<string, object?> edited = new(StringComparer.Ordinal);
                foreach (JsonProperty property in arguments.EnumerateObject())
                {
                    edited[property.Name] = property.Value.Clone();
                }

                decision = ApprovalDecision.ApproveWithArguments(approver, edited, reason);
                break;
            case "approve":
                decision = ApprovalDecision.Approve(approver, reason);
                break;
            case "reject" when body.Grant is not null:
                return (null, ApprovalProblems.BadRequest("'grant' can only accompany an approval."));
            case "reject" when reason is null:
                return (null, ApprovalProblems.BadRequest("'reason' is required to reject: it is recorded and told to the model."));
            case "reject" when body.Arguments is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined }:
                return (null, ApprovalProblems.BadRequest("'arguments' can only accompany an approval."));
            case "reject":
                decision = ApprovalDecision.Reject(approver, reason);
                break;
            case "respond":
                (ApprovalDecision? respond, ProblemHttpResult? invalid) = ToResponse(body, approver, reason);
                if (invalid is not null)
                {
                    return (null, invalid);
                }

                decision = respond!;
                break;
            default:
                return (null, ApprovalProblems.BadRequest("'decision' must be 'approve', 'reject' or 'respond'."));
        }

        if (body.Grant is not null)
        {
            (GrantTerms? terms, ProblemHttpResult? invalid) = GrantTermsReader.ToTerms(body.Grant);
            if (invalid is not null)
            {
                return (null, invalid);
            }

            decision = decision with { Grant = terms };
        }

        return (decision with { ExpectedFingerprint = body.Fingerprint.Trim() }, null);
    }

    /// <summary>An answer in place of the tool: the <c>result</c> the model receives (text or JSON), never empty, with no arguments or grant.</summary>
    private static (ApprovalDecision? Decision, ProblemHttpResult? Problem) ToResponse(ApprovalDecisionRequest body, Approver approver, string? comment)
    {
        if (body.Grant is not null)
        {
            return (null, ApprovalProblems.BadRequest("'grant' can only accompany an approval."));
        }

        if (body.Arguments is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
        {
            return (null, ApprovalProblems.BadRequest("'arguments' can only accompany an approval."));
        }

        if (body.Result is not { } result)
        {
            return (null, ApprovalProblems.BadRequest("'result' is required to respond: it is what the model receives in place of the tool's result."));
        }

        if (result.GetRawText().Length > MaxResultLength)
        {
            return (null, ApprovalProblems.BadRequest($"'result' is longer than {MaxResultLength} characters of JSON."));
        }

        try
        {
            return (result.ValueKind == JsonValueKind.String
                ? ApprovalDecision.RespondInstead(approver, result.GetString()!, comment)
                : ApprovalDecision.RespondInsteadWithJson(approver, result, comment), null);
        }
        catch (ArgumentException refused)
        {
            return (null, ApprovalProblems.BadRequest(result.ValueKind is JsonValueKind.Object or JsonValueKind.Array && refused.Message.Contains("nested", StringComparison.Ordinal)
                ? $"'result' is nested too deeply: {refused.Message}"
                : "'result' is empty: give the model a result (text or JSON) to receive in place of the tool's."));
        }
    }
}
