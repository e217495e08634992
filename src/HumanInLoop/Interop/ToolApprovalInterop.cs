using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>
/// Approvals shown and answered as Microsoft.Extensions.AI's own <see cref="ToolApprovalRequestContent"/> and
/// <see cref="ToolApprovalResponseContent"/>, for UIs built on those types. A response is used only to find the stored call it
/// answers; what runs are always the stored arguments. A response that answers no waiting call is a security event.
/// </summary>
internal sealed class ToolApprovalInterop(ApprovalRecords records, ApprovalDecider decider, ApprovalResponseRefusals refusals)
{
    private const string Prefix = "hil:";

    /// <summary>
    /// The request id of a waiting call. Opaque by contract (hosts echo it back unchanged); inside, it names the approval and
    /// the call, so a response alone leads back to both. Approval ids never hold a colon; call ids may.
    /// </summary>
    public static string RequestId(string approvalId, string callId) => $"{Prefix}{approvalId}:{callId}";

    /// <summary>Reads the approval and call a request id of <see cref="RequestId"/> names.</summary>
    public static bool TryParse(string? requestId, out string approvalId, out string callId)
    {
        approvalId = callId = "";
        if (requestId is null || !requestId.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int colon = requestId.IndexOf(':', Prefix.Length);
        if (colon <= Prefix.Length || colon == requestId.Length - 1)
        {
            return false;
        }

        approvalId = requestId[Prefix.Length..colon];
        callId = requestId[(colon + 1)..];
        return true;
    }

    /// <summary>One request per call awaiting approval.</summary>
    public static IReadOnlyList<ToolApprovalRequestContent> CreateRequests(PendingApproval approval)
    {
        List<ToolApprovalRequestContent> requests = [];
        foreach (PendingToolCall call in approval.AwaitingApproval)
        {
            FunctionCallContent toolCall = new(call.CallId, call.ToolName, ToolArguments.ToDictionary(call.Arguments));
            requests.Add(new ToolApprovalRequestContent(RequestId(approval.Id, call.CallId), toolCall));
        }

        return requests;
    }

    /// <summary>
    /// Records the decision a response carries, if it matches a stored waiting call exactly; the approval is the one its request
    /// id names, which must be <paramref name="approvalId"/> when one is given.
    /// </summary>
    /// <exception cref="UnmatchedApprovalResponseException">The response answers no waiting call (logged and counted).</exception>
    public async Task<PendingApproval> ApplyResponseAsync(string? approvalId, ToolApprovalResponseContent response, Approver approver, CancellationToken cancellationToken)
    {
        if (approvalId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        }

        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(approver);
        string? requestId = response.RequestId;
        string? toolName = (response.ToolCall as FunctionCallContent)?.Name;
        if (!TryParse(requestId, out string named, out string callId) || (approvalId is not null && named != approvalId) ||
            response.ToolCall is not FunctionCallContent toolCall)
        {
            throw Refuse(UnmatchedApprovalResponseKind.Forged, approvalId, null, requestId, toolName,
                $"The approval response does not answer a request HumanInLoop issued{(approvalId is null ? "" : $" for approval '{approvalId}'")}; it is refused.");
        }

        PendingApproval approval;
        try
        {
            approval = await records.LoadAsync(named, cancellationToken);
            if (!approver.Sees(approval.Context.TenantId))
            {
                throw new ApprovalNotFoundException(named); // another tenant's approval answers like one that does not exist
            }
        }
        catch (ApprovalNotFoundException notFound)
        {
            throw Refuse(UnmatchedApprovalResponseKind.Forged, named, callId, requestId, toolName,
                "The approval response names an approval that does not exist; it is refused.", notFound);
        }

        PendingToolCall call = approval.FindCall(callId) ?? throw Refuse(UnmatchedApprovalResponseKind.Forged, named, callId, requestId, toolName,
            $"The approval response names a call '{callId}' that approval '{named}' does not hold; it is refused.");
        if (call.Decision is CallDecisionStatus.AutoAllowed or CallDecisionStatus.Denied || call.RepeatOf is not null)
        {
            throw Refuse(UnmatchedApprovalResponseKind.NeverPending, named, callId, requestId, toolName,
                $"The approval response answers call '{callId}', which never waited for a person (it was {call.Decision}); it is refused.");
        }

        string claimed;
        try
        {
            claimed = Integrity.Fingerprint(named, approval.Context.ConversationId, toolCall.CallId, toolCall.Name, CanonicalJson.FromArguments(toolCall.Arguments));
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or NotSupportedException)
        {
            throw Refuse(UnmatchedApprovalResponseKind.Forged, named, callId, requestId, toolName,
                $"The approval response for call '{callId}' carries arguments that cannot be read; it is refused.", exception);
        }

        if (!Integrity.FixedTimeEquals(claimed, call.Fingerprint))
        {
            throw Refuse(UnmatchedApprovalResponseKind.Forged, named, callId, requestId, toolName,
                $"The approval response for call '{callId}' names a different tool, call or arguments than the stored request; it is refused.");
        }

        ApprovalDecision decision = response.Approved
            ? ApprovalDecision.Approve(approver, response.Reason)
            : ApprovalDecision.Reject(approver, string.IsNullOrWhiteSpace(response.Reason) ? "Rejected by the approver." : response.Reason);
        return await decider.DecideAsync(named, callId, decision with { ExpectedFingerprint = call.Fingerprint }, cancellationToken);
    }

    private UnmatchedApprovalResponseException Refuse(
        UnmatchedApprovalResponseKind kind, string? approvalId, string? callId, string? requestId, string? toolName, string message, Exception? inner = null) =>
        refusals.Report(new UnmatchedApprovalResponseException(kind, approvalId, callId, requestId, toolName, message, inner));
}
