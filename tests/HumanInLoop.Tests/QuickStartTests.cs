using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>README's quick start, as written there, against the scripted model.</summary>
public sealed class QuickStartTests
{
    private sealed record Transfer(string To, decimal Amount);

    [Fact]
    public async Task ReadmeQuickStart_PausesThenResumesAfterApproval()
    {
        List<string> sent = [];
        IChatClient model = new ScriptedChatClient(messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("Transferred.")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("call_1", "transfer", new Dictionary<string, object?> { ["to"] = "Bob", ["amount"] = 500 })));
        AIFunction checkBalance = AIFunctionFactory.Create(() => 1000m, "check_balance");
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) => { sent.Add($"{amount} to {to}"); return "ok"; }, "transfer");
        StringWriter console = new();

        // --- README quick start, verbatim but for Console -> console ---
        var approvals = new ApprovalService(new InMemoryStateStore(), new ApprovalOptions
        {
            Policies =
            {
                ApprovalPolicy.Allow("check_balance"),
                ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 100, "Transfers over $100 need a person."),
            },
        });
        IChatClient agent = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(approvals).Build();
        ChatOptions options = new ChatOptions { Tools = ApprovalService.ProtectTools(checkBalance, transfer) }
            .WithCallerContext(new CallerContext { UserId = "carol", ConversationId = "c-42" });
        try { console.WriteLine(await agent.GetResponseAsync("Send $500 to Bob", options)); }
        catch (PendingApprovalException pause) // nothing ran; pause.Approval is saved in the store
        {
            Assert.Empty(sent);
            await approvals.DecideAsync(pause.Approval.Id, pause.Approval.AwaitingApproval.First().CallId, ApprovalDecision.Approve(new Approver("manager")));
            ResumeResult resumed = await approvals.ResumeAsync(pause.Approval.Id, agent, options); // later, in any process
            console.WriteLine(resumed.Response);
        }
        // --- end ---

        Assert.Equal(["500 to Bob"], sent);
        Assert.Contains("Transferred.", console.ToString(), StringComparison.Ordinal);
    }
}
