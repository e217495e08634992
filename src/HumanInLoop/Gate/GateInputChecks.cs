using System.Runtime.ExceptionServices;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>What the gate checks in a request before the model is asked: the tools' protection, and refused approval responses.</summary>
internal static class GateInputChecks
{
    /// <summary>
    /// Refuses a tool function invocation could run for a call the gate never saw (not protected), or for which it would ask for
    /// approval on its own after the gate decided (marked <see cref="ApprovalRequiredAIFunction"/> outside its protection).
    /// </summary>
    public static void EnsureToolsProtected(bool requireProtectedTools, ChatOptions? options)
    {
        if (!requireProtectedTools || options?.Tools is not { Count: > 0 } tools)
        {
            return;
        }

        for (int i = 0; i < tools.Count; i++)
        {
            AITool tool = tools[i];
            if (!GateProtectedFunction.IsProtected(tool))
            {
                throw new InvalidOperationException(
                    $"The tool '{tool.Name}' is not protected by the approval gate. FunctionInvokingChatClient runs tools named in ToolApprovalResponseContent " +
                    "input without asking the model, which would bypass the gate. Pass the tools through ApprovalService.ProtectTools(...) " +
                    "(ChatOptions.Tools = [.. approvals.ProtectTools(tools)]), or set ApprovalOptions.RequireProtectedTools = false if you run calls yourself.");
            }

            if (tool.GetService<ApprovalRequiredAIFunction>() is not null)
            {
                throw new InvalidOperationException(
                    $"The tool '{tool.Name}' is wrapped in ApprovalRequiredAIFunction outside its protection, so FunctionInvokingChatClient would ask for " +
                    "approval a second time after the gate decided. Protect the marked tool instead: ApprovalService.ProtectTools(new ApprovalRequiredAIFunction(tool)); " +
                    "the gate holds it for a person (ApprovalOptions.ApprovalRequiredAIFunctionPolicy).");
            }
        }
    }

    /// <summary>
    /// Throws the security event of an approval response in the chat input that a protected tool refused: function invocation
    /// caught it and put it in the call's tool result, and would otherwise ask the model with "Error: Function failed.".
    /// Thrown once per refusal (a history that still holds the result later passes); logged and counted once.
    /// </summary>
    public static void ThrowIfApprovalResponseRefused(IEnumerable<ChatMessage> input, ApprovalResponseRefusals refusals)
    {
        if (!GateProtectedFunction.HasUnsurfacedRefusals)
        {
            return; // the hot path: no refusal is waiting anywhere in the process
        }

        foreach (ChatMessage message in input)
        {
            if (message.Role != ChatRole.Tool)
            {
                continue;
            }

            foreach (AIContent content in message.Contents)
            {
                if (content is FunctionResultContent { Exception: UnmatchedApprovalResponseException refusal } && refusal.TryMarkSurfaced())
                {
                    GateProtectedFunction.RefusalSurfaced();
                    ExceptionDispatchInfo.Throw(refusals.Report(refusal));
                }
            }
        }
    }
}
