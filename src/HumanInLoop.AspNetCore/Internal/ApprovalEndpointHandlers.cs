using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The request handlers behind <c>MapApprovalEndpoints</c>. Stateless apart from the options; thread-safe.</summary>
internal sealed class ApprovalEndpointHandlers
{
    private const string LoggerCategory = "HumanInLoop.AspNetCore.ApprovalEndpoints";
    private const int MaxReasonLength = 1000;
    private readonly ApprovalEndpointOptions _options;

    public ApprovalEndpointHandlers(ApprovalEndpointOptions options)
    {
        _options = options;
    }

    public async Task<Results<Ok<ApprovalListResult>, ProblemHttpResult>> ListAsync(
        HttpContext http, string? status, string? conversationId, string? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(http, _options.ReaderPolicy, null) is { } refused)
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

        int size = Math.Min(50, _options.MaxPageSize);
        if (!string.IsNullOrEmpty(pageSize) && (!int.TryParse(pageSize, out size) || size < 1 || size > _options.MaxPageSize))
        {
            return ApprovalProblems.BadRequest($"pageSize must be a whole number from 1 to {_options.MaxPageSize}.");
        }

        ApprovalPage page;
        try
        {
            page = await Approvals(http).ListAsync(
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
        Approver? viewer = _options.ApproverFromUser(http.User);
        List<ApprovalView> items = new(page.Approvals.Count);
        foreach (PendingApproval approval in page.Approvals)
        {
            if (await AuthorizeAsync(http, _options.ReaderPolicy, approval) is null)
            {
                items.Add(ApprovalViews.Create(approval, viewer, 0, _options.ExcerptMaxLength));
            }
        }

        return TypedResults.Ok(new ApprovalListResult(items, page.ContinuationToken));
    }

    public async Task<Results<Ok<ApprovalView>, ProblemHttpResult>> GetAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        // As for the inbox: first may this user read approvals at all (so a non-reader cannot tell which ids exist), then this one.
        if (await AuthorizeAsync(http, _options.ReaderPolicy, null) is { } notReader)
        {
            return notReader;
        }

        PendingApproval approval;
        try
        {
            approval = await Approvals(http).GetAsync(approvalId, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        if (await AuthorizeAsync(http, _options.ReaderPolicy, approval) is { } refused)
        {
            return refused;
        }

        Approver? viewer = _options.ApproverFromUser(http.User);
        return TypedResults.Ok(ApprovalViews.Create(approval, viewer, _options.ExcerptMessages, _options.ExcerptMaxLength));
    }

    public static Ok<AntiforgeryTokenResult> AntiforgeryToken(HttpContext http)
    {
        AntiforgeryTokenSet tokens = Antiforgery(http).GetAndStoreTokens(http);
        return TypedResults.Ok(new AntiforgeryTokenResult(tokens.RequestToken!, tokens.HeaderName, tokens.FormFieldName));
    }

    public async Task<Results<Ok<ApprovalView>, ProblemHttpResult>> DecideAsync(HttpContext http, string approvalId, string callId, CancellationToken cancellationToken)
    {
        if (!IsAuthenticated(http))
        {
            return ApprovalProblems.Unauthenticated();
        }

        if (await ValidateAntiforgeryAsync(http) is { } forged)
        {
            return forged;
        }

        if (_options.ApproverFromUser(http.User) is not { } approver)
        {
            return ApprovalProblems.Forbidden("The signed-in user has no id to record as the approver.");
        }

        (ApprovalDecisionRequest? body, ProblemHttpResult? invalid) = await ReadDecisionAsync(http, cancellationToken);
        if (invalid is not null)
        {
            return invalid;
        }

        (ApprovalDecision? decision, invalid) = ToDecision(body!, approver);
        if (invalid is not null)
        {
            return invalid;
        }

        ApprovalService approvals = Approvals(http);
        ILogger logger = Logger(http);
        try
        {
            PendingApproval approval = await approvals.GetAsync(approvalId, cancellationToken);
            if (await AuthorizeAsync(http, _options.ApproverPolicy, approval) is { } refused)
            {
                Log.Refused(logger, approvalId, $"'{approver.Id}' does not satisfy the approver policy.");
                return refused;
            }

            PendingApproval decided = await approvals.DecideAsync(approvalId, callId, decision!, cancellationToken);
            Log.Decided(logger, approvalId, callId, approver.Id, body!.Decision!);
            return TypedResults.Ok(ApprovalViews.Create(decided, approver, _options.ExcerptMessages, _options.ExcerptMaxLength));
        }
        catch (ApprovalException exception)
        {
            Log.Refused(logger, approvalId, exception.Message);
            return ApprovalProblems.From(exception);
        }
    }

    public async Task<Results<ServerSentEventsResult<ChatStreamEvent>, ProblemHttpResult>> ResumeAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        if (!IsAuthenticated(http))
        {
            return ApprovalProblems.Unauthenticated();
        }

        if (await ValidateAntiforgeryAsync(http) is { } forged)
        {
            return forged;
        }

        if (_options.ResumeTarget is not { } resolveTarget)
        {
            return TypedResults.Problem("This host maps the approval endpoints without ApprovalEndpointOptions.ResumeTarget, so it cannot resume over HTTP.",
                statusCode: StatusCodes.Status501NotImplemented, title: "Resuming is not configured.", type: ApprovalProblems.TypeBase + "not-configured");
        }

        ApprovalService approvals = Approvals(http);
        PendingApproval approval;
        try
        {
            approval = await approvals.GetAsync(approvalId, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        Approver? user = _options.ApproverFromUser(http.User);
        bool requester = user is not null && approval.Context.UserId is { } owner && string.Equals(owner, user.Id, StringComparison.Ordinal);
        if (!requester && await AuthorizeAsync(http, _options.ResumePolicy, approval) is { } refused)
        {
            return refused;
        }

        ApprovalResumeTarget target;
        try
        {
            // The host's callback may read the approval (its messages are built on first use), so its typed errors are statuses too.
            target = await resolveTarget(new ApprovalResumeArguments(http, approval));
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        ArgumentNullException.ThrowIfNull(target);

        // Claim and run the approved calls before the response starts, so a refusal (409, 410, ...) is a status, not an event.
        IAsyncEnumerator<ChatResponseUpdate> updates = approvals.ResumeStreamingAsync(approvalId, target.ChatClient, target.Options, cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        bool first;
        try
        {
            first = await updates.MoveNextAsync();
        }
        catch (ApprovalException exception)
        {
            await updates.DisposeAsync();
            return ApprovalProblems.From(exception);
        }
        catch
        {
            await updates.DisposeAsync();
            throw;
        }

        ChatStreamOptions streamOptions = target.StreamOptions ?? new ChatStreamOptions();
        if (streamOptions.ConversationId is null || streamOptions.Logger is null)
        {
            streamOptions = new ChatStreamOptions
            {
                ConversationId = streamOptions.ConversationId ?? approval.Context.ConversationId,
                OnCompleted = streamOptions.OnCompleted,
                Logger = streamOptions.Logger ?? Logger(http),
            };
        }

        IAsyncEnumerable<SseItem<ChatStreamEvent>> events = Continue(updates, first).ToServerSentEvents(streamOptions, cancellationToken);
        return TypedResults.ServerSentEvents(events);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Continue(IAsyncEnumerator<ChatResponseUpdate> updates, bool hasCurrent)
    {
        await using (updates)
        {
            if (!hasCurrent)
            {
                yield break;
            }

            yield return updates.Current;
            while (await updates.MoveNextAsync())
            {
                yield return updates.Current;
            }
        }
    }

    private static async Task<(ApprovalDecisionRequest? Body, ProblemHttpResult? Problem)> ReadDecisionAsync(HttpContext http, CancellationToken cancellationToken)
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

                return (new ApprovalDecisionRequest
                {
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
            return (null, ApprovalProblems.BadRequest("The body is not valid JSON of a decision (decision, fingerprint, reason, arguments)."));
        }
        catch (BadHttpRequestException exception)
        {
            return (null, ApprovalProblems.BadRequest(exception.Message));
        }
        catch (InvalidDataException exception)
        {
            return (null, ApprovalProblems.BadRequest(exception.Message));
        }
    }

    private static (ApprovalDecision? Decision, ProblemHttpResult? Problem) ToDecision(ApprovalDecisionRequest body, Approver approver)
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
            case "reject" when reason is null:
                return (null, ApprovalProblems.BadRequest("'reason' is required to reject: it is recorded and told to the model."));
            case "reject" when body.Arguments is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined }:
                return (null, ApprovalProblems.BadRequest("'arguments' can only accompany an approval."));
            case "reject":
                decision = ApprovalDecision.Reject(approver, reason);
                break;
            default:
                return (null, ApprovalProblems.BadRequest("'decision' must be 'approve' or 'reject'."));
        }

        return (decision with { ExpectedFingerprint = body.Fingerprint.Trim() }, null);
    }

    private async Task<ProblemHttpResult?> ValidateAntiforgeryAsync(HttpContext http)
    {
        if (!_options.ValidateAntiforgery)
        {
            return null;
        }

        return await Antiforgery(http).IsRequestValidAsync(http) ? null : ApprovalProblems.Antiforgery();
    }

    private static async Task<ProblemHttpResult?> AuthorizeAsync(HttpContext http, string? policy, object? resource)
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

    private static bool IsAuthenticated(HttpContext http) => http.User.Identities.Any(i => i.IsAuthenticated);

    private static ApprovalService Approvals(HttpContext http) =>
        http.RequestServices.GetService<ApprovalService>() ?? throw new InvalidOperationException(
            "The approval endpoints need an ApprovalService: call services.AddHumanInLoop(...) (and a durable store such as AddHumanInLoopSqlite).");

    private static IAntiforgery Antiforgery(HttpContext http) =>
        http.RequestServices.GetService<IAntiforgery>() ?? throw new InvalidOperationException(
            "The approval endpoints validate anti-forgery tokens: call services.AddAntiforgery(), or set ApprovalEndpointOptions.ValidateAntiforgery = false if no caller uses cookies.");

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(LoggerCategory) ?? NullLogger.Instance;
}
