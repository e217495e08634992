using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.AI;
using static HumanInLoop.AspNetCore.Internal.ApprovalEndpointAccess;
#if NET10_0_OR_GREATER
using EventStreamResult = Microsoft.AspNetCore.Http.HttpResults.ServerSentEventsResult<HumanInLoop.AspNetCore.ChatSseEvent>;
#else
using EventStreamResult = HumanInLoop.AspNetCore.Internal.ServerSentEventsStreamResult;
#endif

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The resume endpoint: claims and runs what was approved, then streams the answer as Server-Sent Events. Stateless apart
/// from the options; thread-safe.
/// </summary>
internal sealed class ApprovalResumeHandler(ApprovalEndpointOptions options)
{
    public async Task<Results<EventStreamResult, ProblemHttpResult>> ResumeAsync(HttpContext http, string approvalId, CancellationToken cancellationToken)
    {
        if (await CheckPostAsync(http, options) is { } notAllowed)
        {
            return notAllowed;
        }

        if (options.ResumeTarget is not { } resolveTarget)
        {
            return TypedResults.Problem("This host maps the approval endpoints without ApprovalEndpointOptions.ResumeTarget, so it cannot resume over HTTP.",
                statusCode: StatusCodes.Status501NotImplemented, title: "Resuming is not configured.", type: ApprovalProblems.TypeBase + "not-configured");
        }

        (ApprovalService? approvals, ProblemHttpResult? noTenant) = ScopedApprovals(http, options);
        if (noTenant is not null)
        {
            return noTenant;
        }

        PendingApproval approval;
        try
        {
            approval = await approvals!.GetApprovalAsync(approvalId, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            return ApprovalProblems.From(exception);
        }

        Approver? user = ApproverOf(http, options, approvals!);
        bool requester = user is not null && approval.Context.UserId is { } owner && string.Equals(owner, user.Id, StringComparison.Ordinal);
        if (!requester && await RefuseUnlessAllowedAsync(http, options, options.ResumePolicy, approval) is { } refused)
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
        IAsyncEnumerator<ChatResponseUpdate> updates = approvals!.ResumeStreamingAsync(approvalId, target.ChatClient, target.Options, cancellationToken)
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

        // A copy with what the target left unset filled in, everything it set kept. The reader is the requesting user, made an
        // approver by the same rule as the inbox, so a resume that pauses again says what the inbox says of canDecide.
        ChatSseOptions given = target.SseOptions ?? new ChatSseOptions();
        ChatSseOptions sseOptions = new()
        {
            ConversationId = given.ConversationId ?? approval.Context.ConversationId,
            OnCompleted = given.OnCompleted,
            Viewer = given.Viewer ?? user,
            Logger = given.Logger ?? Logger(http),
        };

        IAsyncEnumerable<SseItem<ChatSseEvent>> events = Continue(updates, first).ToServerSentEvents(sseOptions, cancellationToken);
#if NET10_0_OR_GREATER
        return TypedResults.ServerSentEvents(events);
#else
        return new ServerSentEventsStreamResult(events);
#endif
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
}
