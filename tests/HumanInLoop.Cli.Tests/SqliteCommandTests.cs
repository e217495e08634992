using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Cli.Tests;

/// <summary>Every command over a real SQLite file the application wrote through <see cref="ApprovalService"/>.</summary>
public sealed class SqliteCommandTests : IAsyncLifetime
{
    private SeededBank _bank = null!;
    private string _path = "";

    public async Task InitializeAsync() => (_bank, _path) = await SeededBank.SeedSqliteAsync();

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" }.Where(File.Exists))
        {
            File.Delete(file);
        }

        return Task.CompletedTask;
    }

    private Task<CliRun> Run(params string[] args) => Cli.RunAsync([.. args, "--sqlite", _path]);

    [Fact]
    public async Task Pending_ListsTheHeldCall_AsATableAndAsJson()
    {
        CliRun table = await Run("pending");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(_bank.Waiting, table.Output);
        Assert.Contains("mallory", table.Output);
        Assert.DoesNotContain(_bank.Rejected, table.Output);
        Assert.DoesNotContain("\u001b[", table.Output);

        CliRun json = await Run("pending", "--json");
        JsonElement approval = Assert.Single(json.Json.GetProperty("approvals").EnumerateArray());
        Assert.Equal(_bank.Waiting, approval.GetProperty("id").GetString());
        JsonElement call = Assert.Single(approval.GetProperty("calls").EnumerateArray());
        Assert.Equal("transfer", call.GetProperty("toolName").GetString());
        Assert.Equal(500m, call.GetProperty("arguments").GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Pending_WithTenant_ListsOnlyThatTenantsApprovals()
    {
        CliRun mine = await Run("pending", "--tenant", "t1", "--json");
        CliRun other = await Run("pending", "--tenant", "t2", "--json");

        Assert.True(mine.ExitCode == 0, mine.ToString());
        Assert.Equal(_bank.Waiting, Assert.Single(mine.Json.GetProperty("approvals").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty(other.Json.GetProperty("approvals").EnumerateArray());
    }

    [Fact]
    public async Task Approve_ThenShow_ShowsTheCallDecided_AndPendingIsEmpty()
    {
        CliRun approve = await Run("approve", _bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--reason", "checked by phone");
        Assert.True(approve.ExitCode == 0, approve.ToString());

        CliRun show = await Run("show", _bank.Waiting, "--json");
        Assert.Equal(0, show.ExitCode);
        Assert.Equal("decided", show.Json.GetProperty("status").GetString());
        JsonElement call = Assert.Single(show.Json.GetProperty("calls").EnumerateArray());
        Assert.Equal("approved", call.GetProperty("decision").GetString());
        Assert.Equal("alice", call.GetProperty("decidedBy").GetString());
        Assert.Contains(show.Json.GetProperty("auditTrail").EnumerateArray(), e => e.GetProperty("reason").GetString() == "checked by phone");

        CliRun table = await Run("show", _bank.Waiting);
        Assert.Contains("Approved", table.Output);
        Assert.Contains("checked by phone", table.Output);
        Assert.Empty((await Run("pending", "--json")).Json.GetProperty("approvals").EnumerateArray());
    }

    [Fact]
    public async Task Reject_WithoutReason_IsAUsageError_AndDecidesNothing()
    {
        CliRun run = await Run("reject", _bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--reason", run.Error);
        Assert.Equal(ApprovalStatus.Pending, (await _bank.Approvals.GetAsync(_bank.Waiting)).Status);
    }

    [Fact]
    public async Task Reject_WithReason_RecordsIt()
    {
        CliRun run = await Run("reject", _bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--reason", "mallory is unknown", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("rejected", run.Json.GetProperty("call").GetProperty("decision").GetString());
        PendingToolCall call = (await _bank.Approvals.GetAsync(_bank.Waiting)).FindCall("c-tr")!;
        Assert.Equal(("alice", "mallory is unknown"), (call.DecidedBy, call.DecisionReason));
    }

    [Fact]
    public async Task UnknownId_ExitsNotFound_WithAClearMessage()
    {
        CliRun show = await Run("show", "no-such-approval");
        Assert.Equal(ExitCodes.NotFound, show.ExitCode);
        Assert.Contains("no-such-approval", show.Error);

        CliRun json = await Run("approve", "no-such-approval", "c-tr", "--as", "alice", "--json");
        Assert.Equal(ExitCodes.NotFound, json.ExitCode);
        JsonElement error = JsonDocument.Parse(json.Error).RootElement;
        Assert.Equal("not-found", error.GetProperty("error").GetString());
        Assert.Equal(2, error.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Approve_ByWhoTheCallDoesNotName_IsRefused_AndAlreadyDecidedConflicts()
    {
        CliRun stranger = await Run("approve", _bank.Waiting, "c-tr", "--as", "bob");
        Assert.Equal(ExitCodes.Refused, stranger.ExitCode);
        Assert.Contains("forbidden", stranger.Error);
        Assert.Equal(ApprovalStatus.Pending, (await _bank.Approvals.GetAsync(_bank.Waiting)).Status);

        CliRun again = await Run("approve", _bank.Rejected, "c-tr", "--as", "alice", "--role", "tellers");
        Assert.Equal(ExitCodes.Refused, again.ExitCode);
        Assert.Contains("conflict", again.Error);
    }

    [Fact]
    public async Task Report_Json_CountsWhatWasSeeded()
    {
        CliRun run = await Run("report", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        JsonElement total = run.Json.GetProperty("total");
        Assert.Equal(6, total.GetProperty("seen").GetInt64());
        Assert.Equal(2, total.GetProperty("allowed").GetInt64());
        Assert.Equal(1, total.GetProperty("denied").GetInt64());
        Assert.Equal(1, total.GetProperty("approved").GetInt64());
        Assert.Equal(1, total.GetProperty("rejected").GetInt64());
        Assert.Equal(1, total.GetProperty("awaiting").GetInt64());
        Assert.Equal(3, total.GetProperty("sentToPerson").GetInt64());
        Assert.Equal(5, run.Json.GetProperty("byTool").GetProperty("transfer").GetProperty("seen").GetInt64() +
                        run.Json.GetProperty("byTool").GetProperty("check_balance").GetProperty("seen").GetInt64());

        CliRun tool = await Run("report", "--tool", "transfer", "--json");
        Assert.Equal(4, tool.Json.GetProperty("total").GetProperty("seen").GetInt64());
        Assert.Contains("Total", (await Run("report")).Output);
    }

    [Fact]
    public async Task Replay_WithALooserPolicyAssembly_ListsTheFalseApproval()
    {
        string assembly = typeof(LooseCandidates).Assembly.Location;

        CliRun json = await Run("replay", "--policies", assembly, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(6, json.Json.GetProperty("calls").GetInt64());
        Assert.Equal(1, json.Json.GetProperty("falseApprovalCount").GetInt64());
        JsonElement finding = Assert.Single(json.Json.GetProperty("falseApprovals").EnumerateArray());
        Assert.Equal(_bank.Rejected, finding.GetProperty("call").GetProperty("approvalId").GetString());
        Assert.Equal(SeededBank.RejectReason, finding.GetProperty("call").GetProperty("decisionReason").GetString());

        CliRun table = await Run("replay", "--policies", assembly);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains(SeededBank.RejectReason, table.Output);
    }

    [Fact]
    public async Task Replay_WithARuleFile_ChecksItAgainstTheTools_AndListsTheFalseApproval()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"hil-rules-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string tools = Path.Combine(directory, "tools.json");
        string rules = Path.Combine(directory, "what-if.json");
        string bad = Path.Combine(directory, "bad.json");
        await File.WriteAllTextAsync(tools, """
            { "tools": [
              { "name": "check_balance", "inputSchema": { "type": "object", "properties": {} } },
              { "name": "transfer", "description": "Moves money.", "inputSchema": { "type": "object", "properties": { "to": { "type": "string" }, "amount": { "type": "number" } } } },
              { "name": "delete_account", "parameters": { "type": "object", "properties": {} } } ] }
            """);

        // The looser candidate of LooseCandidates, as data: every transfer up to a million runs at once.
        await File.WriteAllTextAsync(rules, """
            { "Label": "what-if", "Rules": {
              "balances": { "Tool": "check_balance", "Verdict": "Allow" },
              "transfers": { "Tool": "transfer", "When": "amount <= 1000000", "Verdict": "Allow" },
              "no-deletes": { "Tool": "delete_account", "Verdict": "Deny", "Reason": "Never." } } }
            """);
        await File.WriteAllTextAsync(bad, """{ "Rules": { "typo": { "Tool": "transfer", "When": "amout > 500", "Verdict": "Allow" } } }""");

        CliRun json = await Run("replay", "--rules", rules, "--tools", tools, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(6, json.Json.GetProperty("calls").GetInt64());
        Assert.Equal(1, json.Json.GetProperty("falseApprovalCount").GetInt64());
        JsonElement finding = Assert.Single(json.Json.GetProperty("falseApprovals").EnumerateArray());
        Assert.Equal(_bank.Rejected, finding.GetProperty("call").GetProperty("approvalId").GetString());
        Assert.Equal("rules/transfers", Assert.Single(finding.GetProperty("candidate").GetProperty("policies").EnumerateArray()).GetString());

        // A rule that names an argument the tool does not have is refused with its path; nothing is replayed.
        CliRun refused = await Run("replay", "--rules", bad, "--tools", tools);
        Assert.Equal(ExitCodes.Policies, refused.ExitCode);
        Assert.Contains("Rules:typo:When", refused.Error);
        Assert.Contains("amout", refused.Error);

        // Without the tools the rules cannot be checked, and both sources at once is a usage error.
        Assert.Equal(ExitCodes.Usage, (await Run("replay", "--rules", rules)).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await Run("replay", "--rules", rules, "--tools", tools, "--policies", typeof(LooseCandidates).Assembly.Location)).ExitCode);
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData("missing.dll")]
    [InlineData("not-an-assembly.dll")]
    public async Task Replay_WithAMissingOrInvalidAssembly_ExitsPolicies(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}-{name}");
        if (name.StartsWith("not", StringComparison.Ordinal))
        {
            await File.WriteAllTextAsync(path, "this is not a PE file");
        }

        CliRun run = await Run("replay", "--policies", path);

        Assert.Equal(ExitCodes.Policies, run.ExitCode);
        Assert.Contains(path, run.Error);
        File.Delete(path);
    }

    [Fact]
    public async Task ReportAndExport_ByPolicyVersion_CountAndFilterTheCallsJudgedUnderIt()
    {
        CliRun report = await Run("report", "--json");
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.Equal(6, report.Json.GetProperty("byPolicyVersion").GetProperty(SeededBank.PolicyVersion).GetProperty("seen").GetInt64());
        Assert.Contains("version " + SeededBank.PolicyVersion, (await Run("report")).Output);
        Assert.Equal(0, (await Run("report", "--policy-version", "sha256:other", "--json")).Json.GetProperty("total").GetProperty("seen").GetInt64());

        CliRun export = await Run("export", "--policy-version", SeededBank.PolicyVersion);
        string[] lines = export.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Equal(SeededBank.PolicyVersion,
            JsonDocument.Parse(l).RootElement.GetProperty("verdict").GetProperty("policyVersions")[0].GetString()));
        Assert.Contains("Exported 0 calls", (await Run("export", "--policy-version", "sha256:other")).Error);

        CliRun show = await Run("show", _bank.Waiting, "--json");
        Assert.Equal(SeededBank.PolicyVersion, show.Json.GetProperty("calls")[0].GetProperty("policyVersions")[0].GetString());
    }

    [Fact]
    public async Task Export_WritesJsonLines_AndDropArgumentRemovesTheField()
    {
        string file = Path.Combine(Path.GetTempPath(), $"hil-export-{Guid.NewGuid():N}.jsonl");
        CliRun run = await Run("export", "--out", file, "--drop-argument", "to", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(6, run.Json.GetProperty("exported").GetInt64());
        string[] lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(6, lines.Length);
        JsonElement[] records = [.. lines.Select(l => JsonDocument.Parse(l).RootElement)];
        JsonElement[] transfers = [.. records.Where(r => r.ToString().Contains("\"transfer\"", StringComparison.Ordinal))];
        Assert.Equal(4, transfers.Length);
        Assert.All(transfers, t => Assert.False(t.GetProperty("arguments").TryGetProperty("to", out _), t.ToString()));
        Assert.All(transfers, t => Assert.True(t.GetProperty("arguments").TryGetProperty("amount", out _), t.ToString()));
        File.Delete(file);

        CliRun stdout = await Run("export");
        Assert.Equal(0, stdout.ExitCode);
        Assert.Equal(6, stdout.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("mallory", stdout.Output);
        Assert.Contains("Exported 6 calls", stdout.Error);
    }

    [Fact]
    public async Task Verify_IntactStore_ExitsOk_TamperedAuditTrail_ExitsIntegrity()
    {
        CliRun intact = await Run("verify", "--json");
        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.Equal(3, intact.Json.GetProperty("checked").GetInt64());
        Assert.True(intact.Json.GetProperty("intact").GetBoolean());

        await using (SqliteConnection connection = new($"Data Source={_path}"))
        {
            await connection.OpenAsync();
            await using SqliteCommand edit = connection.CreateCommand();
            edit.CommandText = "UPDATE hil_approvals SET data = replace(data, $reason, 'eve is fine') WHERE id = $id";
            edit.Parameters.AddWithValue("$reason", SeededBank.RejectReason);
            edit.Parameters.AddWithValue("$id", _bank.Rejected);
            Assert.Equal(1, await edit.ExecuteNonQueryAsync());
        }

        CliRun broken = await Run("verify", "--json");
        Assert.Equal(ExitCodes.Integrity, broken.ExitCode);
        JsonElement found = Assert.Single(broken.Json.GetProperty("breaks").EnumerateArray());
        Assert.Equal(_bank.Rejected, found.GetProperty("approvalId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(found.GetProperty("problem").GetString()));

        CliRun table = await Run("verify");
        Assert.Equal(ExitCodes.Integrity, table.ExitCode);
        Assert.Contains(_bank.Rejected, table.Output);
        Assert.Equal(ExitCodes.Integrity, (await Run("export", "--out", Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.jsonl"))).ExitCode);
    }

    [Fact]
    public async Task Grants_List_ThenRevoke_ByAStrangerRefused_ByTheMakerDone()
    {
        CliRun list = await Run("grants", "list", "--active", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        JsonElement grant = Assert.Single(list.Json.EnumerateArray());
        Assert.Equal(_bank.GrantId, grant.GetProperty("id").GetString());
        Assert.Equal("alice", grant.GetProperty("grantedBy").GetString());
        Assert.Contains("dave", (await Run("grants", "list")).Output);

        CliRun stranger = await Run("grants", "revoke", _bank.GrantId, "--as", "bob", "--reason", "no");
        Assert.Equal(ExitCodes.Refused, stranger.ExitCode);
        CliRun granter = await Run("grants", "revoke", _bank.GrantId, "--as", "erin", "--role", "risk", "--granter", "risk", "--reason", "landlord changed", "--json");
        Assert.True(granter.ExitCode == 0, granter.ToString());
        Assert.Equal("erin", granter.Json.GetProperty("revokedBy").GetString());

        Assert.Empty((await Run("grants", "list", "--active", "--json")).Json.EnumerateArray());
        Assert.Single((await Run("grants", "list", "--json")).Json.EnumerateArray());
        Assert.Equal(ExitCodes.NotFound, (await Run("grants", "revoke", "no-such-grant", "--as", "alice", "--reason", "x")).ExitCode);
    }

    [Fact]
    public async Task NoStore_OrAMissingFile_AreReportedWithTheirCodes()
    {
        Assert.Equal(ExitCodes.Usage, (await Cli.RunAsync("pending")).ExitCode);
        Assert.Equal(ExitCodes.Store, (await Cli.RunAsync("pending", "--sqlite", Path.Combine(Path.GetTempPath(), "no-such-file.db"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await Cli.RunAsync("no-such-command")).ExitCode);
    }
}
