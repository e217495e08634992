// A user's first program: the packages from the package feed, a scripted model, one gated call that must be held.
using System.Runtime.CompilerServices;
using HumanInLoop;
using HumanInLoop.Sqlite;
using Microsoft.Extensions.AI;

string database = Path.Combine(AppContext.BaseDirectory, "approvals.db");
File.Delete(database);
var approvals = new ApprovalService(new SqliteStateStore($"Data Source={database}"), new ApprovalOptions
{
    Policies = { ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 100, "Transfers over $100 need a person.") },
});
bool ran = false;
AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) => { ran = true; return "sent"; }, "transfer");
IChatClient agent = new ChatClientBuilder(new ScriptedModel()).UseFunctionInvocation().UseApprovalGate(approvals).Build();
ChatOptions options = new() { Tools = ApprovalService.ProtectTools(transfer) };
try
{
    Console.WriteLine($"NOT HELD: {await agent.GetResponseAsync("Send $500 to Bob", options)}");
    return 1;
}
catch (PendingApprovalException pause)
{
    PendingApproval saved = await approvals.GetAsync(pause.Approval.Id);
    PendingToolCall call = saved.AwaitingApproval.Single();
    Console.WriteLine(ran ? "RAN" : $"HELD {call.ToolName} {saved.Id}");
    // Every package loads: the web endpoints and the notifications too, and the rules parse a condition (their expression parser restores with them).
    var rules = HumanInLoop.Rules.ApprovalRuleSet.FromJson(
        """{ "Rules": { "big": { "Tool": "transfer", "When": "amount > 100", "Verdict": "RequireApproval", "Reason": "Over 100." } } }""", [transfer]);
    Console.WriteLine($"LOADED {typeof(HumanInLoop.AspNetCore.ApprovalEndpointOptions).Assembly.GetName().Name} {typeof(HumanInLoop.Notifications.ApprovalNotificationOptions).Assembly.GetName().Name} {typeof(HumanInLoop.PostgreSql.PostgreSqlStateStore).Assembly.GetName().Name} {rules.GetType().Assembly.GetName().Name}");
    return ran ? 1 : 0;
}

internal sealed record Transfer(string To, decimal Amount);

/// <summary>The model: asks to transfer $500 to Bob.</summary>
internal sealed class ScriptedModel : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "transfer", new Dictionary<string, object?> { ["to"] = "Bob", ["amount"] = 500 })])));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (ChatResponseUpdate update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
