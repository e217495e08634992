using System.Text.Json.Nodes;
using HumanInLoop.Internal;

namespace HumanInLoop.Tests;

/// <summary>What runs is exactly what was approved: stored state altered after the decision is refused.</summary>
public sealed class IntegrityTests
{
    private static async Task<(TestBank Bank, PendingApproval Decided)> DecidedAsync(ApprovalOptions? options = null)
    {
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        return (bank, await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
    }

    private static async Task TamperAsync(TestBank bank, string id, Action<JsonNode> edit)
    {
        StateEntry entry = (await bank.Store.GetAsync(id))!;
        JsonNode node = JsonNode.Parse(entry.Data)!;
        edit(node);
        Assert.True(await bank.Store.TryUpdateAsync(entry with { Version = entry.Version + 1, Data = node.ToJsonString() }, entry.Version));
    }

    [Fact]
    public async Task ArgumentsChangedInStoreAfterApproval_ResumeRefused_NothingRuns()
    {
        (TestBank bank, PendingApproval decided) = await DecidedAsync();
        await TamperAsync(bank, decided.Id, node => node["calls"]![0]!["arguments"]!["amount"] = 50000);

        ApprovalIntegrityException error = await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumeAsync(decided.Id, bank.Client, bank.ChatOptions()));

        Assert.Equal("c-tr", error.CallId);
        Assert.Empty(bank.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(decided.Id)).Status);
    }

    [Fact]
    public async Task ArgumentsAndFingerprintsChanged_ButAuditTrailNot_Refused()
    {
        (TestBank bank, PendingApproval decided) = await DecidedAsync();
        string forged = Integrity.Fingerprint(decided.Id, "conv-1", "c-tr", "transfer", CanonicalJson.FromArguments(new Dictionary<string, object?> { ["amount"] = 50000, ["to"] = "bob" }));
        await TamperAsync(bank, decided.Id, node =>
        {
            node["calls"]![0]!["arguments"]!["amount"] = 50000;
            node["calls"]![0]!["fingerprint"] = forged;
            node["calls"]![0]!["approvedFingerprint"] = forged;
        });

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumeAsync(decided.Id, bank.Client, bank.ChatOptions()));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task AuditEntryEdited_LoadRefused()
    {
        (TestBank bank, PendingApproval decided) = await DecidedAsync();
        await TamperAsync(bank, decided.Id, node => node["auditTrail"]!.AsArray()[^1]!["actor"] = "mallory");

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.GetAsync(decided.Id));
        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumeAsync(decided.Id, bank.Client, bank.ChatOptions()));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task AuditEntryDeleted_LoadRefused()
    {
        (TestBank bank, PendingApproval decided) = await DecidedAsync();
        await TamperAsync(bank, decided.Id, node => node["auditTrail"]!.AsArray().RemoveAt(1));

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.GetAsync(decided.Id));
    }

    [Fact]
    public async Task IndexRowDisagreesWithBlob_Refused()
    {
        (TestBank bank, PendingApproval decided) = await DecidedAsync();
        StateEntry entry = (await bank.Store.GetAsync(decided.Id))!;
        await bank.Store.TryUpdateAsync(entry with { Version = entry.Version + 1, Status = ApprovalStatus.Pending }, entry.Version);

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.GetAsync(decided.Id));
    }

    [Fact]
    public async Task WithIntegrityKey_AWholeForgedDecisionWithoutTheKey_Refused()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.IntegrityKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;

        // Someone with write access to the store but not the key rewrites the record as approved, recomputing every
        // fingerprint and the (unkeyed) chain.
        await TamperAsync(bank, pending.Id, node =>
        {
            node["status"] = "Decided";
            node["calls"]![0]!["decision"] = "Approved";
            node["calls"]![0]!["approvedFingerprint"] = node["calls"]![0]!["fingerprint"]!.GetValue<string>();
            JsonArray trail = node["auditTrail"]!.AsArray();
            JsonNode approved = trail[^1]!.DeepClone();
            approved["sequence"] = trail.Count + 1;
            approved["event"] = "Approved";
            approved["actor"] = "mallory";
            trail.Add(approved);
            string previous = "";
            foreach (JsonNode? entry in trail)
            {
                entry!["previousHash"] = previous;
                ApprovalAuditEntry typed = System.Text.Json.JsonSerializer.Deserialize<ApprovalAuditEntry>(entry.ToJsonString(), HumanInLoopJson.StateOptions)!;
                entry["hash"] = previous = Integrity.ChainHash(typed, []);
            }
        });

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task WithoutKey_TheSameChainVerifies_SoTheKeyIsWhatStopsTheForgery()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        string previous = "";
        foreach (ApprovalAuditEntry entry in pending.AuditTrail)
        {
            Assert.Equal(previous, entry.PreviousHash);
            Assert.Equal(Integrity.ChainHash(entry, []), entry.Hash);
            previous = entry.Hash;
        }
    }
}
