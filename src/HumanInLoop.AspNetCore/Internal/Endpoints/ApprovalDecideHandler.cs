using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The decision endpoint: records one person's decision on one call. Stateless apart from the options; thread-safe.</summary>
internal sealed class ApprovalDecideHandler(ApprovalEndpointOptions options)
{
    public async Task<Results<Ok<ApprovalView>, ProblemHttpResult>> DecideAsync(HttpContext http, string approvalId, string callId, CancellationToken cancellationToken)
    {
        if (await CheckPostAsync(http, options) is { } notAllowed)
        {
            return notAllowed;
        }

        // Before the id is looked up, so a user who may not decide at all cannot tell which ids exist.
        if (await AuthorizeAsync(http, options.ApproverPolicy, null) is { } notApprover)
        {
            return notApprover;
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        if (ApproverOf(http, options, approvals!) is not { } approver)
        {
            return ApprovalProblems.Forbidden("The signed-in user has no id to record as the approver.");
        }

        (ApprovalDecisionRequest? body, ProblemHttpResult? invalid) = await ApprovalDecisionReader.ReadAsync(http, cancellationToken);
        if (invalid is not null)
        {
            return invalid;
        }

        (ApprovalDecision? decision, invalid) = ApprovalDecisionReader.ToDecision(body!, approver);
        if (invalid is not null)
        {
            return invalid;
        }

        ILogger logger = Logger(http);
        PendingApproval? approval = null;
        try
        {
            approval = await approvals!.GetApprovalAsync(approvalId, cancellationToken);
            if (await RefuseUnlessAllowedAsync(http, options, options.ApproverPolicy, approval) is { } refused)
            {
                Log.Refused(logger, approvalId, $"'{approver.Id}' does not satisfy the approver policy.");
                return refused;
            }

            PendingApproval decided = await approvals!.DecideAsync(approvalId, callId, decision!, cancellationToken);
            Log.Decided(logger, approvalId, callId, approver.Id, body!.Decision!);
            // The decision reads the approval without its conversation; the excerpt comes from the read above, which has it.
            return TypedResults.Ok(ApprovalViews.Create(decided, approver, options.ExcerptMessages, options.ExcerptMaxLength, conversationOf: approval));
        }
        catch (ApprovalException exception)
        {
            Log.Refused(logger, approvalId, exception.Message);
            return ApprovalProblems.From(exception, IsSelfApproval(http, approval, approver));
        }
        catch (NotSupportedException exception) when (decision!.Grant is not null)
        {
            // The store keeps no standing grants: the host's choice, not the approver's mistake.
            Log.Refused(logger, approvalId, exception.Message);
            return ApprovalProblems.NotConfigured(exception.Message);
        }
        catch (ArgumentException exception) when (decision!.Grant is not null)
        {
            // The call has no user, conversation or tenant id to scope the grant to. Nothing was saved.
            Log.Refused(logger, approvalId, exception.Message);
            return ApprovalProblems.BadRequest(exception.Message);
        }
    }

    /// <summary>
    /// Whether a refusal of <paramref name="approver"/> is the self-approval rule: the core checks it before anything else, so a
    /// requester refused while the host's options prevent self-approval was refused for that. Only said to the page; it decides nothing.
    /// </summary>
    private static bool IsSelfApproval(HttpContext http, PendingApproval? approval, Approver approver) =>
        approval?.Context.UserId is { } requester && string.Equals(requester, approver.Id, StringComparison.Ordinal) &&
        http.RequestServices.GetService<IOptions<ApprovalOptions>>()?.Value.PreventSelfApproval == true;
}
