using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HumanInLoop.Testing;

namespace HumanInLoop.Tests;

/// <summary>Decision export: JSON Lines, one call per line, fields dropped on request, audit chains verified on the way.</summary>
public sealed class ExportTests
{
    private static async Task<(DecisionExportResult Result, List<JsonElement> Lines, string Text)> ExportAsync(
        TestBank bank, DecisionExportOptions? options = null, HistoryQuery? query = null)
    {
        await bank.Approvals.FlushCallRecordsAsync();
        using MemoryStream stream = new();
        DecisionExportResult result = await bank.Approvals.History.ExportAsync(stream, query, options);
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        List<JsonElement> lines = [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.Equal(text.Count(c => c == '\n'), lines.Count);
        return (result, lines, text);
    }

    /// <summary>A held transfer with nested card details, edited; a rejected one; an allowed and a denied call.</summary>
    private static async Task<TestBank> SeedAsync()
    {
        TestBank bank = new();
        Dictionary<string, object?> card = new() { ["number"] = "4111-1111", ["cvv"] = "321", ["holder"] = "Carol" };
        bank.Model.Respond = messages => messages[^1].Role == Microsoft.Extensions.AI.ChatRole.User && messages[^1].Text == "pay by card"
            ? ScriptedChatClient.Calls(ScriptedChatClient.Call("c-card", "transfer", new Dictionary<string, object?>
            {
                ["to"] = "shop", ["amount"] = 500m, ["card"] = card, ["notes"] = new object[] { new Dictionary<string, object?> { ["cvv"] = "999", ["text"] = "gift" } },
            }))
            : TestBank.DefaultScript(messages);
        string edited = (await bank.SendAsync("pay by card", false)).Pending.Id;
        string rejected = (await bank.SendAsync("transfer 700 to mallory", false)).Pending.Id;
        bank.Time.Advance(TimeSpan.FromMinutes(3));
        await bank.Approvals.DecideAsync(edited, "c-card", ApprovalDecision.ApproveWithArguments(TestBank.Alice,
            new Dictionary<string, object?> { ["to"] = "shop", ["amount"] = 400m, ["card"] = card }, "Lowered."));
        await bank.Approvals.DecideAsync(rejected, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "Fraud."));
        Assert.Null((await bank.SendAsync("transfer 50 to bob", false)).Error);
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null((await bank.SendAsync("only delete", false)).Error);
        return bank;
    }

    [Fact]
    public async Task Export_JsonLines_OneLinePerCall_WithEveryField()
    {
        TestBank bank = await SeedAsync();

        (DecisionExportResult result, List<JsonElement> lines, _) = await ExportAsync(bank);

        Assert.Equal(4, result.Exported);
        Assert.True(result.ChainsIntact);
        Assert.Equal(4, lines.Count);
        JsonElement rejected = Assert.Single(lines, l => l.TryGetProperty("decisionReason", out JsonElement r) && r.GetString() == "Fraud.");
        Assert.Equal("transfer", rejected.GetProperty("toolName").GetString());
        Assert.Equal("mallory", rejected.GetProperty("arguments").GetProperty("to").GetString());
        Assert.Equal("carol", rejected.GetProperty("context").GetProperty("userId").GetString());
        Assert.Equal("t1", rejected.GetProperty("context").GetProperty("tenantId").GetString());
        Assert.Equal("alice", rejected.GetProperty("decidedBy").GetString());
        Assert.Equal(TestBank.Start, rejected.GetProperty("seenAt").GetDateTimeOffset());
        Assert.Equal(TestBank.Start + TimeSpan.FromMinutes(3), rejected.GetProperty("decidedAt").GetDateTimeOffset());
        Assert.Equal("RequireApprovalWhen(transfer)", rejected.GetProperty("verdict").GetProperty("policies")[0].GetString());
        Assert.Contains("Rejected", rejected.GetProperty("outcome").ToString(), StringComparison.Ordinal);
        Assert.False(rejected.TryGetProperty("messages", out _));
        JsonElement edited = Assert.Single(lines, l => l.TryGetProperty("editedArguments", out _));
        Assert.Equal(400m, edited.GetProperty("editedArguments").GetProperty("amount").GetDecimal());
        Assert.Equal(500m, edited.GetProperty("arguments").GetProperty("amount").GetDecimal());
        Assert.Single(lines, l => l.GetProperty("toolName").GetString() == "delete_account");
        Assert.All(lines, l => Assert.True(l.TryGetProperty("id", out _) && l.TryGetProperty("callId", out _) && l.TryGetProperty("verdict", out _)));
    }

    [Fact]
    public async Task Export_DropArguments_RemovesFieldsAtAnyDepth_InArgumentsAndEdits()
    {
        TestBank bank = await SeedAsync();

        (_, List<JsonElement> lines, string text) = await ExportAsync(bank, new DecisionExportOptions { DropArguments = new HashSet<string>(StringComparer.Ordinal) { "number", "cvv" } });

        Assert.DoesNotContain("4111", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"cvv\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("321", text, StringComparison.Ordinal);
        JsonElement card = Assert.Single(lines, l => l.GetProperty("callId").GetString() == "c-card");
        Assert.Equal("Carol", card.GetProperty("arguments").GetProperty("card").GetProperty("holder").GetString());
        Assert.Equal("Carol", card.GetProperty("editedArguments").GetProperty("card").GetProperty("holder").GetString());
        Assert.Equal("gift", card.GetProperty("arguments").GetProperty("notes")[0].GetProperty("text").GetString());
        Assert.Equal("shop", card.GetProperty("arguments").GetProperty("to").GetString());

        // The stored record keeps them: the export drops, never edits.
        PendingApproval stored = await bank.Approvals.GetAsync(Assert.Single((await bank.Approvals.History.ReadAsync().ToListAsync()), c => c.CallId == "c-card").ApprovalId!);
        Assert.Equal("4111-1111", stored.Calls[0].Arguments.GetProperty("card").GetProperty("number").GetString());
    }

    [Fact]
    public async Task Export_WithoutAutomated_OnlyCallsAPersonSaw()
    {
        TestBank bank = await SeedAsync();

        (DecisionExportResult result, List<JsonElement> lines, _) = await ExportAsync(bank, new DecisionExportOptions { IncludeAutomated = false });

        Assert.Equal(2, result.Exported);
        Assert.All(lines, l => Assert.Equal(JsonValueKind.String, l.GetProperty("approvalId").ValueKind));
    }

    [Fact]
    public async Task Export_TamperedAuditTrail_ListedAsUnreadableNamingEntry_OthersExported()
    {
        TestBank bank = await SeedAsync();
        string victim = (await bank.Approvals.History.ReadAsync().ToListAsync()).Single(c => c.Outcome == CallOutcome.Rejected).ApprovalId!;
        StateEntry entry = (await bank.Store.GetAsync(victim))!;
        JsonNode node = JsonNode.Parse(entry.Data)!;
        node["auditTrail"]!.AsArray()[1]!["reason"] = "Looks fine.";
        Assert.True(await bank.Store.TryUpdateAsync(entry with { Version = entry.Version + 1, Data = node.ToJsonString() }, entry.Version));

        (DecisionExportResult result, List<JsonElement> lines, string text) = await ExportAsync(bank);

        Assert.False(result.ChainsIntact);
        UnreadableApproval broken = Assert.Single(result.Unreadable);
        Assert.Equal(victim, broken.ApprovalId);
        Assert.Contains("entry 2", broken.Problem, StringComparison.Ordinal);
        Assert.Equal(3, result.Exported);
        Assert.Equal(3, lines.Count);
        Assert.DoesNotContain("mallory", text, StringComparison.Ordinal);
        Assert.Equal([victim], (await bank.Approvals.History.ReportAsync()).UnreadableApprovals);
        Assert.Equal([victim], (await bank.Approvals.History.ReplayAsync([ApprovalPolicy.Allow("transfer")])).UnreadableApprovals);
    }

    [Fact]
    public async Task Export_QueryFilters_Apply()
    {
        TestBank bank = await SeedAsync();

        (DecisionExportResult result, List<JsonElement> lines, _) = await ExportAsync(bank, query: new HistoryQuery { ToolName = "delete_account" });

        Assert.Equal(1, result.Exported);
        Assert.Equal("delete_account", Assert.Single(lines).GetProperty("toolName").GetString());
    }
}
