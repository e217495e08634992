using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Where an approved call runs, at most once: its start is saved before the tool is invoked and its outcome after, so a resume
/// that died in between finds it <see cref="CallExecutionStatus.Started"/> and marks it in doubt (or, for a tool that honours
/// idempotency keys, runs it again); what runs is checked against the fingerprint that was approved.
/// </summary>
internal sealed class CallRunner(ApprovalRecords records, ClaimLease lease, IEnumerable<string> idempotentTools, ILogger logger)
{
    /// <summary>The longest tool result an approval records, in bytes of JSON (4 MiB, beyond any model's context); a longer one is replaced by a note.</summary>
    public const int MaxResultLength = 4 * 1024 * 1024;

    private readonly HashSet<string> _idempotentTools = new(idempotentTools, StringComparer.Ordinal);

    /// <summary>Whether a call still has to run when the approval is resumed.</summary>
    public static bool NeedsToRun(PendingToolCall call) =>
        call.Decision is CallDecisionStatus.AutoAllowed or CallDecisionStatus.Approved &&
        call.Execution is CallExecutionStatus.NotStarted or CallExecutionStatus.Started;

    /// <summary>The calls a resume will find interrupted and mark in doubt: started by a resume that died, their tool not idempotent.</summary>
    public string[] Interrupted(PendingApproval approval) =>
        [.. approval.Calls.Where(c => NeedsToRun(c) && c.Execution == CallExecutionStatus.Started && !_idempotentTools.Contains(c.ToolName)).Select(c => c.CallId)];

    /// <summary>Whether a call of an all-or-nothing batch is held while another is in doubt: approved, and not started.</summary>
    public static bool IsHeld(PendingToolCall call) => NeedsToRun(call) && call.Execution == CallExecutionStatus.NotStarted;

    /// <summary>Holds a call of an all-or-nothing batch that has calls in doubt: it is not run now, and the hold is recorded.</summary>
    public void Hold(PendingApproval approval, PendingToolCall call, string[] inDoubt)
    {
        records.Audit(approval, ApprovalAuditEvent.CallHeld, "system", call, call.ApprovedFingerprint,
            reason: $"Not run: the batch is all or nothing and {string.Join(", ", inDoubt)} is in doubt. It runs once a person confirms that took effect, never if it did not.");
        ApprovalLog.CallHeld(logger, approval.Id, call.CallId);
    }

    /// <summary>Settles a held call of an all-or-nothing batch as not run: a call of the batch was reconciled as not having taken effect.</summary>
    public static void SettleHeld(ApprovalRecords records, PendingApproval approval, PendingToolCall call, string notTakenEffect)
    {
        call.Execution = CallExecutionStatus.NotRun;
        call.Result = ModelResults.ToJson(
            $"This tool call was not run: it belongs to an all-or-nothing batch and call {notTakenEffect} of the batch was interrupted and did not take effect. Do not retry it without asking the user.");
        records.Audit(approval, ApprovalAuditEvent.CallHeld, "system", call, call.ApprovedFingerprint,
            reason: $"Settled not run: the batch is all or nothing and {notTakenEffect} did not take effect.");
    }

    /// <summary>Brings one call of a claimed approval to its end: run once if approved, not run if refused, in doubt if interrupted.</summary>
    public async Task AnswerAsync(PendingApproval approval, string owner, PendingToolCall call, Dictionary<string, AIFunction> tools, CancellationToken cancellationToken)
    {
        if (call.Execution is CallExecutionStatus.Succeeded or CallExecutionStatus.Failed or CallExecutionStatus.NotRun or CallExecutionStatus.InDoubt)
        {
            return;
        }

        if (call.Decision is CallDecisionStatus.Denied or CallDecisionStatus.Rejected or CallDecisionStatus.Responded)
        {
            call.Execution = CallExecutionStatus.NotRun;
            return;
        }

        if (call.Execution == CallExecutionStatus.Started && !_idempotentTools.Contains(call.ToolName))
        {
            // A previous resume died while this call ran; its effect is unknown, and running it again could do it twice.
            call.Execution = CallExecutionStatus.InDoubt;
            records.Audit(approval, ApprovalAuditEvent.CallInDoubt, "system", call, call.ApprovedFingerprint,
                reason: "Interrupted while running; the tool does not honour idempotency keys, so it is not re-run.");
            await lease.SaveOrLoseAsync(approval, CancellationToken.None);
            ApprovalLog.CallInDoubt(logger, approval.Id, call.CallId);
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        AuditChain.VerifyBinding(approval, call);
        call.Execution = CallExecutionStatus.Started;
        call.Attempts++;
        lease.Extend(approval);
        records.Audit(approval, ApprovalAuditEvent.CallStarted, "system", call, call.ApprovedFingerprint, reason: $"Attempt {call.Attempts} by {owner}.");
        await lease.SaveOrLoseAsync(approval, CancellationToken.None);

        AIFunction function = tools[call.ToolName];
        AIFunctionArguments arguments = new(ToolArguments.ToDictionary(call.ArgumentsToRun));
        ApprovedCall? outer = ApprovedCall.Current;
        ApprovedCall.Current = new ApprovedCall(approval.Id, call, call.Attempts);
        object? result = null;
        Exception? failure = null;
        try
        {
            result = await lease.KeepDuringAsync(approval, function.InvokeAsync(arguments, cancellationToken));
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
            call.Result = ModelResults.ToJson("Error: Function failed.");
            records.Audit(approval, ApprovalAuditEvent.CallFailed, "system", call, call.ApprovedFingerprint, reason: $"{failure.GetType().Name}: {failure.Message}");
            await lease.SaveOrLoseAsync(approval, CancellationToken.None);
            return;
        }

        // It ran: whatever happens to its result now, it is Succeeded and never runs again.
        call.Execution = CallExecutionStatus.Succeeded;
        call.Result = Recordable(approval, result);
        records.Audit(approval, ApprovalAuditEvent.CallSucceeded, "system", call, call.ApprovedFingerprint);
        await lease.SaveOrLoseAsync(approval, CancellationToken.None);
    }

    /// <summary>The result as recorded: its JSON, or a note when it cannot be written or would make the approval too long to read back.</summary>
    private static JsonElement? Recordable(PendingApproval approval, object? result)
    {
        try
        {
            JsonElement json = JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions);
            int length = JsonMarshal.GetRawUtf8Value(json).Length;
            if (length > MaxResultLength)
            {
                return ModelResults.ToJson($"The call ran, but its result ({length} bytes of JSON) is longer than the {MaxResultLength} an approval records, so it was not kept.");
            }

            if (approval.StoredLength + length > PendingApprovalSerializer.MaxLength - (ApprovalRecords.StoredLengthHeadroom / 2))
            {
                return ModelResults.ToJson($"The call ran, but its result ({length} bytes of JSON) would make the approval too long to read back, so it was not kept.");
            }

            return json;
        }
        catch (Exception exception) when (exception is NotSupportedException or JsonException or InvalidOperationException)
        {
            return ModelResults.ToJson($"The call ran, but its result could not be recorded ({exception.GetType().Name}).");
        }
    }
}
