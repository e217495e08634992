using HumanInLoop.Sqlite;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Cli.Tests;

/// <summary>
/// A store seeded as an application would leave it: three calls decided at once (a balance check and a small transfer allowed,
/// a delete denied) and three transfers held for the tellers: one still waiting (to mallory), one approved by alice with a
/// standing grant (to dave), one rejected by alice (to eve).
/// </summary>
public sealed class SeededBank
{
    public const string RejectReason = "eve is a known fraudster";

    /// <summary>The version label every seeded verdict names (<see cref="ApprovalOptions.PolicyVersion"/>).</summary>
    public const string PolicyVersion = "build-7";

    private SeededBank(IStateStore store, ReadOnlyMemory<byte> integrityKey)
    {
        Store = store;
        Options = new ApprovalOptions
        {
            Policies =
            {
                ApprovalPolicy.Allow("check_balance"),
                ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.Amount > 100, "Transfers over $100 need a teller.", approvers: ["tellers"]),
                ApprovalPolicy.Deny("delete_account", "Accounts are never deleted by the assistant."),
            },
            Granters = { "tellers" },
            IntegrityKey = integrityKey,
            PolicyVersion = PolicyVersion,
        };
        Approvals = new ApprovalService(store, Options);
        Client = new ChatClientBuilder(new ScriptedChatClient(Script)).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
    }

    public static Approver Alice { get; } = new("alice", ["tellers"]);

    public IStateStore Store { get; }

    public ApprovalOptions Options { get; }

    public ApprovalService Approvals { get; }

    public IChatClient Client { get; }

    public string Waiting { get; private set; } = "";

    public string Granted { get; private set; } = "";

    public string Rejected { get; private set; } = "";

    public string GrantId { get; private set; } = "";

    public static async Task<SeededBank> SeedAsync(IStateStore store, ReadOnlyMemory<byte> integrityKey = default)
    {
        SeededBank bank = new(store, integrityKey);
        await bank.SendAsync("balance", "conv-balance");
        await bank.SendAsync("transfer 50 to bob", "conv-small");
        await bank.SendAsync("delete", "conv-delete");
        bank.Waiting = await bank.HoldAsync("transfer 500 to mallory", "conv-mallory");
        bank.Granted = await bank.HoldAsync("transfer 300 to dave", "conv-dave");
        bank.Rejected = await bank.HoldAsync("transfer 150 to eve", "conv-eve");
        PendingApproval granted = await bank.Approvals.DecideAsync(bank.Granted, "c-tr", ApprovalDecision.Approve(Alice, "dave is our landlord") with
        {
            Grant = new GrantTerms(GrantScope.User, TimeSpan.FromHours(8), GrantArgumentBound.Equal("to", "dave"), GrantArgumentBound.AtMost("amount", 300m)),
        });
        bank.GrantId = granted.FindCall("c-tr")!.GrantId ?? await bank.FirstGrantIdAsync();
        await bank.Approvals.DecideAsync(bank.Rejected, "c-tr", ApprovalDecision.Reject(Alice, RejectReason));
        await bank.Approvals.FlushCallRecordsAsync();
        return bank;
    }

    public static async Task<(SeededBank Bank, string Path)> SeedSqliteAsync(ReadOnlyMemory<byte> integrityKey = default)
    {
        string path = Path.Combine(Path.GetTempPath(), $"hil-cli-{Guid.NewGuid():N}.db");
        return (await SeedAsync(new SqliteStateStore(new SqliteStateStoreOptions { ConnectionString = $"Data Source={path}" }), integrityKey), path);
    }

    private async Task<string> FirstGrantIdAsync()
    {
        await foreach (ApprovalGrant grant in Approvals.Grants.ListAsync())
        {
            return grant.Id;
        }

        throw new InvalidOperationException("The approval made no grant.");
    }

    private async Task SendAsync(string text, string conversation) =>
        await Client.GetResponseAsync([new ChatMessage(ChatRole.User, text)], ChatOptionsFor(conversation));

    private async Task<string> HoldAsync(string text, string conversation)
    {
        PendingApprovalException held = await Assert.ThrowsAsync<PendingApprovalException>(() => SendAsync(text, conversation));
        return held.Approval.Id;
    }

    private static ChatOptions ChatOptionsFor(string conversation) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(Tools) }
            .WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol", TenantId = "t1" });

    private static AITool[] Tools { get; } =
    [
        AIFunctionFactory.Create((string to, decimal amount) => $"sent {amount} to {to}", "transfer", "Sends money."),
        AIFunctionFactory.Create(() => 1000m, "check_balance", "Reads the balance."),
        AIFunctionFactory.Create(() => "deleted", "delete_account", "Deletes the account."),
    ];

    private static ChatResponse Script(IReadOnlyList<ChatMessage> messages)
    {
        ChatMessage last = messages[^1];
        if (last.Role == ChatRole.Tool)
        {
            return ScriptedChatClient.Text("Done.");
        }

        string[] words = last.Text.Split(' ');
        return words[0] switch
        {
            "balance" => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance")),
            "delete" => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-del", "delete_account")),
            _ => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?>
            {
                ["to"] = words[^1],
                ["amount"] = decimal.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture),
            })),
        };
    }
}

public sealed record TransferArgs(string To, decimal Amount);

/// <summary>The candidate policy set the replay tests load from this assembly: every transfer allowed (looser than the live one).</summary>
public static class LooseCandidates
{
    public static IEnumerable<IApprovalPolicy> Policies => [ApprovalPolicy.Allow("check_balance", "transfer"), ApprovalPolicy.Deny("delete_account", "Never.")];
}
