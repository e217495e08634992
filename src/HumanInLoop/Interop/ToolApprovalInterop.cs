using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>
/// Approvals shown and answered as Microsoft.Extensions.AI's own <see cref="ToolApprovalRequestContent"/> and
/// <see cref="ToolApprovalResponseContent"/>, for UIs built on those types. A response is used only to find the stored call it
/// answers; what runs are always the stored arguments.
/// </summary>
internal sealed class ToolApprovalInterop(ApprovalRecords records, ApprovalDecider decider)
{
    /// <summary>The request id of a waiting call: it names the approval and the call.</summary>
    public static string RequestId(string approvalId, string callId) => $"hil:{approvalId}:{callId}";

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

    /// <summary>Records the decision a response carries, if it matches a stored waiting call exactly.</summary>
    /// <exception cref="ApprovalIntegrityException">The response does not match a stored call (forged or altered).</exception>
    public async Task<PendingApproval> ApplyResponseAsync(string approvalId, ToolApprovalResponseContent response, Approver approver, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(approver);
        string prefix = RequestId(approvalId, "");
        if (response.RequestId is not { } requestId || !requestId.StartsWith(prefix, StringComparison.Ordinal) ||
            response.ToolCall is not FunctionCallContent toolCall)
        {
            throw new ApprovalIntegrityException(approvalId, null, "The approval response does not answer a request of this approval.");
        }

        string callId = requestId[prefix.Length..];
        PendingApproval approval = await records.LoadAsync(approvalId, cancellationToken);
        PendingToolCall call = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
        string claimed;
        try
        {
            claimed = Integrity.Fingerprint(approvalId, approval.Context.ConversationId, toolCall.CallId, toolCall.Name, CanonicalJson.FromArguments(toolCall.Arguments));
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or NotSupportedException)
        {
            throw new ApprovalIntegrityException(approvalId, callId, $"The approval response for call '{callId}' carries arguments that cannot be read; it is refused.");
        }

        if (!Integrity.FixedTimeEquals(claimed, call.Fingerprint))
        {
            throw new ApprovalIntegrityException(approvalId, callId,
                $"The approval response for call '{callId}' names a different tool, call or arguments than the stored request; it is refused.");
        }

        ApprovalDecision decision = response.Approved
            ? ApprovalDecision.Approve(approver, response.Reason)
            : ApprovalDecision.Reject(approver, string.IsNullOrWhiteSpace(response.Reason) ? "Rejected by the approver." : response.Reason);
        return await decider.DecideAsync(approvalId, callId, decision with { ExpectedFingerprint = call.Fingerprint }, cancellationToken);
    }
}
