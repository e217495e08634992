using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <content>Resuming: claim, run what was approved at most once, answer every call, and continue the conversation.</content>
public sealed partial class ApprovalService
{
    /// <summary>
    /// Continues a decided approval: claims it atomically, runs the approved and auto-allowed calls (each at most once),
    /// answers every call of the batch, and sends the conversation back through <paramref name="chatClient"/>.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="chatClient">The same pipeline the conversation used (function invocation outside the approval gate).</param>
    /// <param name="options">Options with the tools, supplied again by name (tools are never serialized).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The model's answer and the whole conversation.</returns>
    /// <exception cref="PendingApprovalException">The model made another gated call; a new approval was saved.</exception>
    /// <exception cref="ApprovalConflictException">Not decided yet, claimed by another resume, already completed, cancelled, or a call is in doubt.</exception>
    /// <exception cref="ApprovalExpiredException">The deadline passed before every call was decided.</exception>
    /// <exception cref="ApprovalIntegrityException">What would run is not what was approved.</exception>
    /// <exception cref="InvalidOperationException">A tool to run is missing from <paramref name="options"/>; nothing ran.</exception>
    public async Task<ResumeResult> ResumeAsync(string approvalId, IChatClient chatClient, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        using Activity? activity = StartResumeActivity(approvalId);
        Execution run = await ExecuteAsync(approvalId, options, ApprovalOrigin.ToolCalls, cancellationToken);
        ChatResponse response;
        try
        {
            response = await KeepingClaimAsync(run.Approval, new ValueTask<ChatResponse>(chatClient.GetResponseAsync(run.Continuation, run.Options, cancellationToken)));
        }
        catch (PendingApprovalException next)
        {
            await CompleteAsync(run, next.Approval.Id);
            throw;
        }
        catch (Exception exception) when (exception is not ApprovalException)
        {
            await ReleaseAsync(run.Approval, exception);
            throw;
        }

        await CompleteAsync(run, null);
        response.Messages.Insert(0, run.ResultsMessage);
        return new ResumeResult(run.Approval, response);
    }

    /// <summary>
    /// Continues a decided approval like <see cref="ResumeAsync"/>, streaming: first one update with the tool results
    /// (role <see cref="ChatRole.Tool"/>), then the model's updates.
    /// </summary>
    /// <remarks>
    /// Like every async iterator, it does nothing until the first <c>MoveNextAsync</c>: the claim, the tool calls and the
    /// typed errors of <see cref="ResumeAsync"/> happen then. Stopping the enumeration early gives the claim back and keeps
    /// the outcome of every call that ran.
    /// </remarks>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="chatClient">The same pipeline the conversation used.</param>
    /// <param name="options">Options with the tools, supplied again by name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The updates.</returns>
    public async IAsyncEnumerable<ChatResponseUpdate> ResumeStreamingAsync(
        string approvalId, IChatClient chatClient, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        using Activity? activity = StartResumeActivity(approvalId);
        Execution run = await ExecuteAsync(approvalId, options, ApprovalOrigin.ToolCalls, cancellationToken);
        IAsyncEnumerator<ChatResponseUpdate> updates = chatClient.GetStreamingResponseAsync(run.Continuation, run.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        bool ended = false;

        // The claim is kept while the model streams, but not for a caller that stopped reading without disposing: after a
        // third of the lease with no update asked for, renewal stops and the lease may lapse.
        StreamProgress progress = new(_time);
        using CancellationTokenSource stopRenewing = new();
        Task renewing = KeepClaimAsync(run.Approval, stopRenewing.Token, progress);
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
        }
    }

    private static Activity? StartResumeActivity(string approvalId) =>
        HumanInLoopTelemetry.ActivitySource.StartActivity("humaninloop.resume")?.SetTag(HumanInLoopTelemetry.ApprovalIdTag, approvalId);

    private void RecordResume(string approvalId, string outcome)
    {
        _telemetry.ResumeCount.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.OutcomeTag, outcome));
        Activity.Current?.SetTag(HumanInLoopTelemetry.OutcomeTag, outcome);
        Log.ResumeEnded(_logger, approvalId, outcome);
    }

    private async Task<Execution> ExecuteAsync(string approvalId, ChatOptions? options, ApprovalOrigin origin, CancellationToken cancellationToken)
    {
        PendingApproval approval;
        string owner;
        try
        {
            (approval, owner) = await ClaimAsync(approvalId, options, origin, cancellationToken);
        }
        catch (ApprovalException exception)
        {
            RecordResume(approvalId, exception is ApprovalConflictException ? "conflict" : "refused");
            throw;
        }

        Dictionary<string, AIFunction> tools = ToolsByName(options);
        try
        {
            foreach (PendingToolCall call in approval.Calls)
            {
                await AnswerAsync(approval, owner, call, tools, cancellationToken);
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
            await SaveOrLoseClaimAsync(approval, CancellationToken.None);
            RecordResume(approval.Id, "in_doubt");
            await NotifyAsync(ApprovalNotificationKind.InDoubt, approval);
            throw new ApprovalConflictException(approval.Id, ApprovalStatus.InDoubt,
                $"Approval '{approval.Id}' has calls that were interrupted while running and cannot be safely re-run; a person must reconcile them (ResolveInDoubtAsync).");
        }

        List<AIContent> results = new(approval.Calls.Count);
        foreach (PendingToolCall call in approval.Calls)
        {
            results.Add(new FunctionResultContent(call.CallId, ResultForModel(call)));
        }

        ChatMessage resultsMessage = new(ChatRole.Tool, results);
        ChatOptions continuationOptions = options?.Clone() ?? new ChatOptions();
        continuationOptions.WithCallerContext(approval.Context);
        return new Execution(approval, owner, [.. approval.Messages, resultsMessage], resultsMessage, continuationOptions);
    }

    private async Task<(PendingApproval Approval, string Owner)> ClaimAsync(string approvalId, ChatOptions? options, ApprovalOrigin origin, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadAsync(approvalId, cancellationToken);
            if (approval.Origin != origin)
            {
                throw new InvalidOperationException(approval.Origin == ApprovalOrigin.ActionPlan
                    ? $"Approval '{approvalId}' holds actions of a plan; resume it with ResumePlanAsync."
                    : $"Approval '{approvalId}' holds tool calls of a conversation; resume it with ResumeAsync.");
            }

            string? recovering = null;
            switch (approval.Status)
            {
                case ApprovalStatus.Pending:
                    if (await ExpireIfDueAsync(approval, cancellationToken) is not null)
                    {
                        // Expired now (or changed by another writer): read it again.
                        continue;
                    }

                    throw new ApprovalConflictException(approvalId, approval.Status,
                        $"Approval '{approvalId}' still waits for decisions on: {string.Join(", ", approval.AwaitingApproval.Select(c => $"{c.CallId} ({c.ToolName})"))}.");
                case ApprovalStatus.Decided:
                    break;
                case ApprovalStatus.Executing when approval.ClaimExpiresAt is { } lapse && Now() >= lapse:
                    recovering = approval.ClaimedBy;
                    break;
                case ApprovalStatus.Executing:
                    throw new ApprovalConflictException(approvalId, approval.Status, $"Approval '{approvalId}' is being resumed by another caller.");
                case ApprovalStatus.Expired:
                    // Nothing of an expired batch runs (every call is NotRun); resuming tells the model and closes it.
                    break;
                default:
                    throw new ApprovalConflictException(approvalId, approval.Status, $"Approval '{approvalId}' is {approval.Status}; it cannot be resumed.");
            }

            // Everything that will run must be present and bound to its approval before the claim, so a refusal changes nothing;
            // that includes the history the model is sent afterwards (read on first use).
            _ = approval.Messages;
            Dictionary<string, AIFunction> tools = ToolsByName(options);
            foreach (PendingToolCall call in approval.Calls.Where(NeedsToRun))
            {
                if (!tools.ContainsKey(call.ToolName))
                {
                    throw new InvalidOperationException(
                        $"Approval '{approvalId}' needs the tool '{call.ToolName}' to resume, but ChatOptions.Tools has no AIFunction of that name. Supply the same tools the conversation used.");
                }

                VerifyBinding(approval, call);
            }

            string owner = NewId("claim_");
            approval.Status = ApprovalStatus.Executing;
            approval.ClaimedBy = owner;
            approval.ClaimExpiresAt = Now() + _lease;
            Audit(approval, ApprovalAuditEvent.Claimed, "system",
                reason: recovering is null ? $"Claimed by {owner}." : $"Claimed by {owner}, recovering after the lease of {recovering} lapsed.");
            if (await TrySaveAsync(approval, cancellationToken))
            {
                Log.ApprovalClaimed(_logger, approvalId, owner, recovering is not null);
                return (approval, owner);
            }

            // Another resume changed the record first: read it again; it may now be claimed (a typed conflict) or still free.
        }

        throw await ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>The longest tool result an approval records, in bytes of JSON (4 MiB, beyond any model's context); a longer one is replaced by a note.</summary>
    internal const int MaxResultLength = 4 * 1024 * 1024;

    private static bool NeedsToRun(PendingToolCall call) =>
        call.Decision is CallDecisionStatus.AutoAllowed or CallDecisionStatus.Approved &&
        call.Execution is CallExecutionStatus.NotStarted or CallExecutionStatus.Started;

    private async Task AnswerAsync(PendingApproval approval, string owner, PendingToolCall call, Dictionary<string, AIFunction> tools, CancellationToken cancellationToken)
    {
        if (call.Execution is CallExecutionStatus.Succeeded or CallExecutionStatus.Failed or CallExecutionStatus.NotRun or CallExecutionStatus.InDoubt)
        {
            return;
        }

        if (call.Decision is CallDecisionStatus.Denied or CallDecisionStatus.Rejected)
        {
            call.Execution = CallExecutionStatus.NotRun;
            return;
        }

        if (call.Execution == CallExecutionStatus.Started && !_idempotentTools.Contains(call.ToolName))
        {
            // A previous resume died while this call ran; its effect is unknown, and running it again could do it twice.
            call.Execution = CallExecutionStatus.InDoubt;
            Audit(approval, ApprovalAuditEvent.CallInDoubt, "system", call, call.ApprovedFingerprint,
                reason: "Interrupted while running; the tool does not honour idempotency keys, so it is not re-run.");
            await SaveOrLoseClaimAsync(approval, CancellationToken.None);
            Log.CallInDoubt(_logger, approval.Id, call.CallId);
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        VerifyBinding(approval, call);
        call.Execution = CallExecutionStatus.Started;
        call.Attempts++;
        approval.ClaimExpiresAt = Now() + _lease;
        Audit(approval, ApprovalAuditEvent.CallStarted, "system", call, call.ApprovedFingerprint, reason: $"Attempt {call.Attempts} by {owner}.");
        await SaveOrLoseClaimAsync(approval, CancellationToken.None);

        AIFunction function = tools[call.ToolName];
        AIFunctionArguments arguments = new(ToolArguments.ToDictionary(call.ArgumentsToRun));
        ApprovedCall? outer = ApprovedCall.Current;
        ApprovedCall.Current = new ApprovedCall(approval.Id, call, call.Attempts);
        object? result = null;
        Exception? failure = null;
        try
        {
            result = await KeepingClaimAsync(approval, function.InvokeAsync(arguments, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped part-way: it stays Started, so the next resume treats it as interrupted (re-run if idempotent, else in doubt).
            throw;
        }
        catch (Exception exception)
        {
            failure = exception;
        }
        finally
        {
            ApprovedCall.Current = outer;
        }

        if (failure is not null)
        {
            call.Execution = CallExecutionStatus.Failed;
            call.Result = ToJson("Error: Function failed.");
            Audit(approval, ApprovalAuditEvent.CallFailed, "system", call, call.ApprovedFingerprint, reason: $"{failure.GetType().Name}: {failure.Message}");
            await SaveOrLoseClaimAsync(approval, CancellationToken.None);
            return;
        }

        // It ran: whatever happens to its result now, it is Succeeded and never runs again.
        call.Execution = CallExecutionStatus.Succeeded;
        try
        {
            call.Result = JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions);
            int length = JsonMarshal.GetRawUtf8Value(call.Result.Value).Length;
            if (length > MaxResultLength)
            {
                // Kept, it could make the approval too long to read back (PendingApprovalSerializer.MaxLength).
                call.Result = ToJson($"The call ran, but its result ({length} bytes of JSON) is longer than the {MaxResultLength} an approval records, so it was not kept.");
            }
            else if (approval.StoredLength + length > PendingApprovalSerializer.MaxLength - (StoredLengthHeadroom / 2))
            {
                call.Result = ToJson($"The call ran, but its result ({length} bytes of JSON) would make the approval too long to read back, so it was not kept.");
            }
        }
        catch (Exception exception) when (exception is NotSupportedException or JsonException or InvalidOperationException)
        {
            call.Result = ToJson($"The call ran, but its result could not be recorded ({exception.GetType().Name}).");
        }

        Audit(approval, ApprovalAuditEvent.CallSucceeded, "system", call, call.ApprovedFingerprint);
        await SaveOrLoseClaimAsync(approval, CancellationToken.None);
    }

    /// <summary>
    /// While a tool runs or the model answers, extends the claim's lease every third of it, so long work is not taken for a
    /// dead process (recovered by another resume, marked in doubt or, if idempotent, run again). A streaming resume passes its
    /// <paramref name="reader"/>: no renewal while nobody reads, none at all after a lease. A renewal that loses its
    /// compare-and-swap stops renewing; the next save then reports the lost claim.
    /// </summary>
    private async Task KeepClaimAsync(PendingApproval approval, CancellationToken stop, StreamProgress? reader = null)
    {
        // One periodic timer for the whole renewal, so the schedule does not drift by the time each save takes (a tick due
        // while a save is still running is not lost). Stopping disposes it: the wait then ends without an exception.
        TimeSpan every = _lease / 3;
        using PeriodicTimer timer = new(every, _time);
        using CancellationTokenRegistration stopping = stop.UnsafeRegister(static state => ((PeriodicTimer)state!).Dispose(), timer);
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None))
            {
                if (stop.IsCancellationRequested || reader?.IdleFor >= _lease)
                {
                    return; // the work ended, or its reader went away (the lease has lapsed by now)
                }

                if (reader?.IdleFor >= every)
                {
                    continue; // nobody asked for an update lately: do not keep the claim for them (yet)
                }

                DateTimeOffset? previous = approval.ClaimExpiresAt;
                approval.ClaimExpiresAt = Now() + _lease;

                // Not cancelled by stop: a write that may have reached the store must be seen through, or the version would be stale.
                if (!await TrySaveAsync(approval, CancellationToken.None))
                {
                    approval.ClaimExpiresAt = previous;
                    return;
                }

                Log.ClaimRenewed(_logger, approval.Id, approval.ClaimExpiresAt.Value);
            }
        }
        catch (Exception exception)
        {
            // The store failed: the claim may lapse; the save after the call finds out and reports it.
            Log.ClaimRenewalFailed(_logger, exception, approval.Id);
        }
    }

    /// <summary>
    /// Keeps the claim while a tool runs or the model answers (no other write to the approval happens meanwhile); work that
    /// finished at once needs no renewal. The renewal is stopped, and a write in flight awaited, before this returns or throws.
    /// </summary>
    private async ValueTask<T> KeepingClaimAsync<T>(PendingApproval approval, ValueTask<T> work)
    {
        if (work.IsCompleted)
        {
            return await work;
        }

        using CancellationTokenSource stop = new();
        Task renewing = KeepClaimAsync(approval, stop.Token);
        try
        {
            return await work;
        }
        finally
        {
            stop.Cancel();
            await renewing;
        }
    }

    private static object? ResultForModel(PendingToolCall call) => call.Decision switch
    {
        CallDecisionStatus.Denied =>
            $"This tool call was denied by policy and was not run. Do not retry it. Reason: {call.PolicyReason}",
        CallDecisionStatus.Rejected =>
            $"This tool call was rejected by the approver and was not run. Do not retry it. Reason: {call.DecisionReason}",
        CallDecisionStatus.Expired =>
            "Nobody decided on this tool call before its approval expired, so it was not run. Do not retry it without asking the user.",
        _ when call.Execution == CallExecutionStatus.NotRun =>
            AsModelSees(call.Result),
        _ when call.ApprovedArguments is { } edited =>
            $"The approver changed the arguments before running; the call ran with {edited.GetRawText()}. Result: {(AsModelSees(call.Result) is string text ? text : call.Result?.GetRawText())}",
        _ => AsModelSees(call.Result),
    };

    /// <summary>
    /// A stored result as function invocation would have passed it on had the call run at once: a string stays a string
    /// (stored as a JSON string, it would otherwise reach the model quoted), anything else goes as its JSON.
    /// </summary>
    private static object? AsModelSees(JsonElement? result) =>
        result is { ValueKind: JsonValueKind.String } text ? text.GetString() : result;

    private async Task SaveOrLoseClaimAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        if (!await TrySaveAsync(approval, cancellationToken))
        {
            throw new ApprovalConflictException(approval.Id, ApprovalStatus.Executing,
                $"The claim on approval '{approval.Id}' was lost to another resume (its lease lapsed); this resume stops and runs nothing more.");
        }
    }

    private async Task CompleteAsync(Execution run, string? nextApprovalId)
    {
        PendingApproval approval = run.Approval;
        approval.Status = ApprovalStatus.Completed;
        approval.NextApprovalId = nextApprovalId;
        approval.ClaimedBy = null;
        approval.ClaimExpiresAt = null;
        Audit(approval, ApprovalAuditEvent.Completed, "system",
            reason: nextApprovalId is null ? "The model answered." : $"The model made another gated call; paused again as '{nextApprovalId}'.");
        await SaveOrLoseClaimAsync(approval, CancellationToken.None);
        Log.ApprovalCompleted(_logger, approval.Id, nextApprovalId);
        RecordResume(approval.Id, nextApprovalId is null ? "completed" : "paused_again");
        await NotifyAsync(ApprovalNotificationKind.Completed, approval);
    }

    /// <summary>Gives the claim back with every call's progress kept, so a later resume continues without re-running anything.</summary>
    private async Task ReleaseAsync(PendingApproval approval, Exception? cause)
    {
        approval.Status = ApprovalStatus.Decided;
        approval.ClaimedBy = null;
        approval.ClaimExpiresAt = null;
        Audit(approval, ApprovalAuditEvent.ClaimReleased, "system",
            reason: cause is null ? "The resume was cancelled or abandoned." : $"The resume failed ({cause.GetType().Name}); progress kept, nothing will run twice.");
        await SaveOrLoseClaimAsync(approval, CancellationToken.None);
        RecordResume(approval.Id, "released");
    }

    private static Dictionary<string, AIFunction> ToolsByName(ChatOptions? options) => ToolsByName(options?.Tools ?? []);

    private static Dictionary<string, AIFunction> ToolsByName(IEnumerable<AITool> list)
    {
        Dictionary<string, AIFunction> tools = new(StringComparer.Ordinal);
        foreach (AITool tool in list)
        {
            if (tool is AIFunction function)
            {
                tools[function.Name] = function;
            }
        }

        return tools;
    }

    private sealed record Execution(PendingApproval Approval, string Owner, List<ChatMessage> Continuation, ChatMessage ResultsMessage, ChatOptions Options);

    /// <summary>How long a streaming resume has gone unread: zero while an update is awaited, else the time since the last arrived.</summary>
    private sealed class StreamProgress(TimeProvider time)
    {
        private long _lastArrival = time.GetTimestamp();
        private volatile bool _waiting;

        public bool Waiting
        {
            get => _waiting;
            set => _waiting = value;
        }

        public TimeSpan IdleFor => _waiting ? TimeSpan.Zero : time.GetElapsedTime(Interlocked.Read(ref _lastArrival));

        public void Arrived()
        {
            Interlocked.Exchange(ref _lastArrival, time.GetTimestamp());
            _waiting = false;
        }
    }
}
