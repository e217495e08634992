using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Continues a decided approval: claims it (<see cref="ResumeClaimer"/>), brings every call to its end (<see cref="CallRunner"/>),
/// answers each call to the model and sends the conversation on, keeping the claim while the model answers
/// (<see cref="ClaimLease"/>); then completes the approval, or gives the claim back with every call's progress kept.
/// </summary>
internal sealed class ApprovalResumer(
    ApprovalRecords records, ResumeClaimer claimer, CallRunner runner, ClaimLease lease, ApprovalClock clock, HumanInLoopTelemetry telemetry,
    NotificationFanout notifications, ILogger logger, ResumingRepeats repeats, int repeatLimit)
{
    /// <summary>See <see cref="ApprovalService.ResumeAsync"/>.</summary>
    public async Task<ResumeResult> ResumeAsync(string approvalId, IChatClient chatClient, ChatOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        using Activity? activity = StartActivity(approvalId);
        ResumeRun run = await StartAsync(approvalId, options, ApprovalOrigin.ToolCalls, cancellationToken);
        ChatResponse response;
        repeats.Begin(approvalId);
        try
        {
            response = await lease.KeepDuringAsync(run.Approval, new ValueTask<ChatResponse>(chatClient.GetResponseAsync(run.Continuation, run.Options, cancellationToken)));
        }
        catch (PendingApprovalException next)
        {
            await CompleteAsync(run, next.Approval.Id);
            throw;
        }
        catch (RejectedCallRepeatedException stop)
        {
            await CompleteAsync(run, null, stop);
            throw;
        }
        catch (Exception exception) when (exception is not ApprovalException)
        {
            await ReleaseAsync(run.Approval, exception);
            throw;
        }
        catch (ApprovalException)
        {
            repeats.Discard(approvalId); // nothing of this resume is saved; neither are its repeats
            throw;
        }

        await CompleteAsync(run, null);
        response.Messages.Insert(0, run.ResultsMessage);
        return new ResumeResult(run.Approval, response);
    }

    /// <summary>See <see cref="ApprovalService.ResumeStreamingAsync"/>.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> ResumeStreamingAsync(
        string approvalId, IChatClient chatClient, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        using Activity? activity = StartActivity(approvalId);
        ResumeRun run = await StartAsync(approvalId, options, ApprovalOrigin.ToolCalls, cancellationToken);
        repeats.Begin(approvalId);
        IAsyncEnumerator<ChatResponseUpdate> updates = chatClient.GetStreamingResponseAsync(run.Continuation, run.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        bool ended = false;

        // The claim is kept while the model streams, but not for a caller that stopped reading without disposing: after a
        // third of the lease with no update asked for, renewal stops and the lease may lapse.
        StreamReadProgress progress = new(clock.Provider);
        using CancellationTokenSource stopRenewing = new();
        Task renewing = lease.RenewAsync(run.Approval, stopRenewing.Token, progress);
        async Task StopRenewingAsync()
        {
            stopRenewing.Cancel();
            await renewing;
        }

        try
        {
            yield return new ChatResponseUpdate(ChatRole.Tool, [.. run.ResultsMessage.Contents]) { MessageId = run.ResultsMessage.MessageId };
            while (true)
            {
                try
                {
                    progress.Waiting = true;
                    bool more = await updates.MoveNextAsync();
                    progress.Arrived();
                    if (!more)
                    {
                        break;
                    }
                }
                catch (PendingApprovalException next)
                {
                    ended = true;
                    await StopRenewingAsync();
                    await CompleteAsync(run, next.Approval.Id);
                    throw;
                }
                catch (RejectedCallRepeatedException stop)
                {
                    ended = true;
                    await StopRenewingAsync();
                    await CompleteAsync(run, null, stop);
                    throw;
                }
                catch (Exception exception) when (exception is not ApprovalException)
                {
                    ended = true;
                    await StopRenewingAsync();
                    await ReleaseAsync(run.Approval, exception);
                    throw;
                }

                yield return updates.Current;
            }

            ended = true;
            await StopRenewingAsync();
            await CompleteAsync(run, null);
        }
        finally
        {
            await updates.DisposeAsync();
            await StopRenewingAsync();
            if (!ended)
            {
                // The caller stopped reading before the model finished: keep the calls' outcomes, give the claim back.
                await ReleaseAsync(run.Approval, null);
            }

            repeats.Discard(approvalId); // saved above by the completion or release, or by neither (an approval error)
        }
    }

    /// <summary>Claims the approval and brings every call to its end; returns what to send the model.</summary>
    /// <exception cref="ApprovalConflictException">A call is in doubt (the claim is given back), or the approval cannot be claimed.</exception>
    public async Task<ResumeRun> StartAsync(string approvalId, ChatOptions? options, ApprovalOrigin origin, CancellationToken cancellationToken)
    {
        Dictionary<string, AIFunction> tools = ToolLookup.ByName(options?.Tools);
        PendingApproval approval;
        string owner;
        try
        {
            (approval, owner) = await claimer.ClaimAsync(approvalId, tools, ResumingAs(options), origin, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            RecordOutcome(approvalId, exception is ApprovalConflictException ? "conflict" : "refused");
            throw;
        }

        // All or nothing: while a call of the batch is in doubt, the calls that have not run are held, not run (docs/states.md).
        string[] inDoubt = approval.AllOrNothingBatch ? runner.Interrupted(approval) : [];
        List<string> held = [];
        try
        {
            foreach (PendingToolCall call in approval.Calls)
            {
                if (inDoubt.Length > 0 && CallRunner.IsHeld(call))
                {
                    runner.Hold(approval, call, inDoubt);
                    held.Add(call.CallId);
                    continue;
                }

                await runner.AnswerAsync(approval, owner, call, tools, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Give the claim back at once rather than after the lease; calls that finished stay finished.
            await ReleaseAsync(approval, null);
            throw;
        }

        if (approval.Calls.Any(c => c.Execution == CallExecutionStatus.InDoubt))
        {
            approval.Status = ApprovalStatus.InDoubt;
            approval.ClaimedBy = null;
            approval.ClaimExpiresAt = null;
            await lease.SaveOrLoseAsync(approval, CancellationToken.None);
            RecordOutcome(approval.Id, "in_doubt");
            await notifications.NotifyAsync(ApprovalNotificationKind.InDoubt, approval);
            throw new ApprovalConflictException(approval.Id, ApprovalStatus.InDoubt,
                $"Approval '{approval.Id}' has calls that were interrupted while running and cannot be safely re-run; a person must reconcile them (ResolveInDoubtAsync)." +
                (held.Count == 0 ? "" : $" Held, not run, in this all-or-nothing batch until then: {string.Join(", ", held)}."));
        }

        List<AIContent> results = new(approval.Calls.Count);
        foreach (PendingToolCall call in approval.Calls)
        {
            results.Add(new FunctionResultContent(call.CallId, ModelResults.For(call)));
        }

        ChatMessage resultsMessage = new(ChatRole.Tool, results);
        ChatOptions continuationOptions = options?.Clone() ?? new ChatOptions();
        continuationOptions.WithCallerContext(approval.Context);
        return new ResumeRun(approval, [.. approval.LoadHistory(), resultsMessage], resultsMessage, continuationOptions);
    }

    /// <summary>
    /// Ends the claim: the approval is completed (and names the next one if the conversation paused again, or says the retry-loop
    /// guard stopped it: every call was answered, so nothing is left to resume).
    /// </summary>
    public async Task CompleteAsync(ResumeRun run, string? nextApprovalId, RejectedCallRepeatedException? stopped = null)
    {
        PendingApproval approval = run.Approval;
        repeats.End(approval, records, repeatLimit);
        approval.Status = ApprovalStatus.Completed;
        approval.NextApprovalId = nextApprovalId;
        approval.ClaimedBy = null;
        approval.ClaimExpiresAt = null;
        records.Audit(approval, ApprovalAuditEvent.Completed, "system",
            reason: stopped is not null ? $"The model proposed a rejected call again ('{stopped.ToolName}', repeat {stopped.Repeats}); the conversation was stopped."
                : nextApprovalId is null ? "The model answered." : $"The model made another gated call; paused again as '{nextApprovalId}'.");
        await lease.SaveOrLoseAsync(approval, CancellationToken.None);
        ApprovalLog.ApprovalCompleted(logger, approval.Id, nextApprovalId);
        RecordOutcome(approval.Id, stopped is not null ? "repeat_stopped" : nextApprovalId is null ? "completed" : "paused_again");
        await notifications.NotifyAsync(ApprovalNotificationKind.Completed, approval);
    }

    /// <summary>Opens the activity of one resume.</summary>
    public static Activity? StartActivity(string approvalId) =>
        HumanInLoopTelemetry.ActivitySource.StartActivity("humaninloop.resume")?.SetTag(HumanInLoopTelemetry.ApprovalIdTag, approvalId);

    /// <summary>Gives the claim back with every call's progress kept, so a later resume continues without re-running anything.</summary>
    private async Task ReleaseAsync(PendingApproval approval, Exception? cause)
    {
        repeats.End(approval, records, repeatLimit);
        approval.Status = ApprovalStatus.Decided;
        approval.ClaimedBy = null;
        approval.ClaimExpiresAt = null;
        records.Audit(approval, ApprovalAuditEvent.ClaimReleased, "system",
            reason: cause is null ? "The resume was cancelled or abandoned." : $"The resume failed ({cause.GetType().Name}); progress kept, nothing will run twice.");
        await lease.SaveOrLoseAsync(approval, CancellationToken.None);
        RecordOutcome(approval.Id, "released");
    }

    /// <summary>The context a resume's options carry, or <see langword="null"/> when they carry none.</summary>
    /// <exception cref="ArgumentException">Something other than a <see cref="CallerContext"/> is stored under its key.</exception>
    private static CallerContext? ResumingAs(ChatOptions? options) =>
        options?.AdditionalProperties is not { } properties || !properties.TryGetValue(ChatOptionsApprovalExtensions.CallerContextKey, out object? value) ? null
        : value as CallerContext ?? throw new ArgumentException(
            $"ChatOptions.AdditionalProperties['{ChatOptionsApprovalExtensions.CallerContextKey}'] holds a {value?.GetType().Name ?? "null"}, not a CallerContext; set it with WithCallerContext.", nameof(options));

    private void RecordOutcome(string approvalId, string outcome)
    {
        telemetry.ResumeCount.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.OutcomeTag, outcome));
        Activity.Current?.SetTag(HumanInLoopTelemetry.OutcomeTag, outcome);
        ApprovalLog.ResumeEnded(logger, approvalId, outcome);
    }
}
