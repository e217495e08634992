using System.Collections.Concurrent;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Rules.Tests;

/// <summary>
/// Two tools (a transfer and a balance check) that record what ran, a scripted model that asks for one call per request (the arguments
/// set by the test), and a spy that keeps every verdict the rules gave.
/// </summary>
public sealed class RulesBank
{
    public static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 30, 0, TimeSpan.Zero);

    private int _calls;

    public RulesBank()
    {
        Transfer = AIFunctionFactory.Create(
            (string to, decimal amount, string currency, decimal fee, string memo) => { Ran.Add($"transfer {amount} {currency} to {to}"); return "sent"; },
            "transfer_funds", "Sends money.");
        Balance = AIFunctionFactory.Create((string account) => { Ran.Add($"balance {account}"); return "42"; }, "check_balance", "Reads a balance.");
        Model = new ScriptedChatClient(messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(ScriptedChatClient.Call($"c-{Interlocked.Increment(ref _calls)}", NextTool, NextArguments)));
    }

    public AIFunction Transfer { get; }

    public AIFunction Balance { get; }

    public AIFunction[] Tools => [Transfer, Balance];

    public ScriptedChatClient Model { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public ConcurrentBag<string> Ran { get; } = [];

    public ConcurrentQueue<PolicyVerdict> Verdicts { get; } = [];

    public string NextTool { get; set; } = "transfer_funds";

    public Dictionary<string, object?> NextArguments { get; set; } = [];

    public static Dictionary<string, object?> TransferOf(decimal amount, string currency = "EUR", decimal fee = 1m, string memo = "rent") =>
        new() { ["to"] = "bob", ["amount"] = amount, ["currency"] = currency, ["fee"] = fee, ["memo"] = memo };

    public ChatOptions Options() =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(Tools) }.WithCallerContext(new CallerContext { UserId = "carol", TenantId = "acme", ConversationId = "conv-1" });

    /// <summary>Wraps a policy so that every verdict it gives is kept in <see cref="Verdicts"/>.</summary>
    public IApprovalPolicy Spy(IApprovalPolicy policy) => ApprovalPolicy.Named(policy.Name, ApprovalPolicy.Create(async (context, token) =>
    {
        PolicyVerdict verdict = await policy.EvaluateAsync(context, token);
        Verdicts.Enqueue(verdict);
        return verdict;
    }));

    /// <summary>Sends one request through <paramref name="client"/> for the call set by <see cref="NextTool"/> and <see cref="NextArguments"/>.</summary>
    /// <returns>The approval that holds the call, or <see langword="null"/> if nothing was held.</returns>
    public async Task<PendingApproval?> SendAsync(IChatClient client, bool streaming = false)
    {
        List<ChatMessage> messages = [new(ChatRole.User, "go")];
        try
        {
            if (streaming)
            {
                await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, Options()))
                {
                    _ = update;
                }
            }
            else
            {
                await client.GetResponseAsync(messages, Options());
            }

            return null;
        }
        catch (PendingApprovalException pause)
        {
            return pause.Approval;
        }
    }

    /// <summary>A gate over the scripted model with the given service.</summary>
    public IChatClient Gate(ApprovalService approvals) => new ChatClientBuilder(Model).UseFunctionInvocation().UseApprovalGate(approvals).Build();

    /// <summary>A service with the rules (spied on) and other policies, on the fake clock.</summary>
    public ApprovalService Service(IApprovalPolicy rules, params IApprovalPolicy[] others)
    {
        ApprovalOptions options = new() { TimeProvider = Time, Policies = { Spy(rules) } };
        foreach (IApprovalPolicy policy in others)
        {
            options.Policies.Add(policy);
        }

        return new ApprovalService(new InMemoryStateStore(), options);
    }
}
