using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>The gate's own log (<c>UseApprovalGate(loggerFactory: ...)</c>): what it decided on each call of a response.</summary>
internal static partial class GateLog
{
    /// <summary>Logs the verdict on every call of one response, at Debug level.</summary>
    public static void Judged(ILogger logger, PolicyEvaluationContext[] calls, BatchJudgement judgement)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        for (int i = 0; i < calls.Length; i++)
        {
            CallJudged(logger, calls[i].CallId, calls[i].ToolName, judgement.Verdicts[i].Kind, judgement.Hold);
        }
    }

    [LoggerMessage(31, LogLevel.Debug, "The approval gate judged call {CallId} of tool {ToolName}: {Verdict} (batch held for a person: {Held}).")]
    private static partial void CallJudged(ILogger logger, string callId, string toolName, PolicyVerdictKind verdict, bool held);
}
