using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>Where a refused approval response becomes a security event: one Warning log and one count, then the typed exception.</summary>
internal sealed class ApprovalResponseRefusals(ILogger logger, HumanInLoopTelemetry telemetry)
{
    /// <summary>Logs and counts <paramref name="refusal"/> (once, however often it is met) and returns it to throw.</summary>
    public UnmatchedApprovalResponseException Report(UnmatchedApprovalResponseException refusal)
    {
        if (refusal.TryMarkReported())
        {
            ApprovalLog.ApprovalResponseRefused(logger, refusal.Kind, refusal.CallId, refusal.ToolName, refusal.ApprovalId, refusal.RequestId);
            telemetry.RefusedResponses.Add(1, new TagList { { HumanInLoopTelemetry.RefusalTag, TagValue(refusal.Kind) } });
        }

        return refusal;
    }

    private static string TagValue(UnmatchedApprovalResponseKind kind) => kind switch
    {
        UnmatchedApprovalResponseKind.NeverPending => "never_pending",
        UnmatchedApprovalResponseKind.InChatInput => "in_chat_input",
        _ => "forged",
    };
}
