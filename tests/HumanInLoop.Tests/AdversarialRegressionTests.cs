using System.Text.Json;
using System.Text.Json.Nodes;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>
/// Regressions for promises the adversarial review found broken, each fixed in the core: fields outside the audit chain
/// edited in the store (now sealed with the IntegrityKey), arguments too deep to store, out-of-range stored enums, and
/// the "no common approver" marker presented as a role.
/// </summary>
public sealed class AdversarialRegressionTests
{
    private static ApprovalOptions Keyed(ApprovalOptions? options = null)
    {
        options ??= TestBank.DefaultOptions();
        options.IntegrityKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        return options;
    }

    /// <summary>Writes the record as someone with store access but without the IntegrityKey could (audit trail untouched).</summary>
    private static async Task TamperAsync(TestBank bank, string id, Action<JsonNode> edit, ApprovalStatus? rowStatus = null)
    {
        StateEntry entry = (await bank.Store.GetAsync(id))!;
        JsonNode node = JsonNode.Parse(entry.Data)!;
        edit(node);
        Assert.True(await bank.Store.TryUpdateAsync(entry with { Version = entry.Version + 1, Data = node.ToJsonString(), Status = rowStatus ?? entry.Status }, entry.Version));
    }

    // F1: state fields outside the HMAC'd audit chain.

    [Fact]
    public async Task F1a_WithKey_CompletedApprovalFlippedBackToDecided_RunsTheTransferAgain()
    {
        TestBank bank = new(Keyed());
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Single(bank.Transfers);

        // The trail still says CallStarted, CallSucceeded, Completed; only two plain fields change.
        await TamperAsync(bank, pending.Id, node =>
        {
            node["status"] = "Decided";
            node["calls"]![0]!["execution"] = "NotStarted";
        }, ApprovalStatus.Decided);

        Exception? error = await Record.ExceptionAsync(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        Assert.Single(bank.Transfers);
        Assert.IsType<ApprovalIntegrityException>(error);
    }

    [Fact]
    public async Task F1b_WithKey_ExpiredApprovalFlippedToDecided_RunsTheAutoAllowedCall()
    {
        TestBank bank = new(Keyed());
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        bank.Time.Advance(TimeSpan.FromDays(4));
        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());

        await TamperAsync(bank, pending.Id, node =>
        {
            node["status"] = "Decided";
            node["calls"]![0]!["execution"] = "NotStarted"; // c-bal, auto-allowed
            node["calls"]![1]!["decision"] = "Rejected";    // c-tr, was Expired
        }, ApprovalStatus.Decided);

        Exception? error = await Record.ExceptionAsync(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        Assert.Equal(0, bank.BalanceChecks);
        Assert.IsType<ApprovalIntegrityException>(error);
    }

    [Fact]
    public async Task F1c_WithKey_ApproverListEmptiedInStore_AnyoneCanApprove()
    {
        TestBank bank = new(Keyed(new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "CFO only.", ["cfo"]) } }));
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await TamperAsync(bank, pending.Id, node => node["calls"]![0]!["approvers"] = new JsonArray());

        Exception? error = await Record.ExceptionAsync(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob)));

        Assert.IsType<ApprovalIntegrityException>(error);
    }

    [Fact]
    public async Task F1d_WithKey_RequesterChangedInStore_SelfApprovalAccepted()
    {
        ApprovalOptions options = Keyed();
        options.PreventSelfApproval = true;
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false, bank.ChatOptions(userId: "alice"))).Pending;
        await TamperAsync(bank, pending.Id, node => node["context"]!["userId"] = "someone-else");

        Exception? error = await Record.ExceptionAsync(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));

        Assert.IsType<ApprovalIntegrityException>(error);
    }

    [Fact]
    public async Task F1e_WithKey_PendingCallsArgumentsAndFingerprintRewritten_LoadsAsIfGenuine()
    {
        TestBank bank = new(Keyed());
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        string forged = Integrity.Fingerprint(pending.Id, "conv-1", "c-tr", "transfer", CanonicalJson.FromArguments(new Dictionary<string, object?> { ["amount"] = 500, ["to"] = "mallory" }));
        await TamperAsync(bank, pending.Id, node =>
        {
            node["calls"]![0]!["arguments"]!["to"] = "mallory";
            node["calls"]![0]!["fingerprint"] = forged;
        });

        // The ApprovalRequested audit entry still records "bob" and the original fingerprint.
        Exception? error = await Record.ExceptionAsync(() => bank.Approvals.GetAsync(pending.Id));

        Assert.IsType<ApprovalIntegrityException>(error);
    }

    // F3: model-controlled argument depth crashed the hold with an untyped JsonException.

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task F3_ArgumentsTooDeepToStore_TheCallIsDenied_ModelIsTold_NothingRunsOrIsSaved(bool streaming)
    {
        TestBank bank = new();
        string json = string.Concat(Enumerable.Repeat("{\"a\":", 60)) + "1" + new string('}', 60);
        JsonElement deep = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 200 }).RootElement.Clone();
        bank.Model.Respond = m => m[^1].Role == ChatRole.Tool ? Testing.ScriptedChatClient.Text("done")
            : Testing.ScriptedChatClient.Calls(Testing.ScriptedChatClient.Call("c-1", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500m, ["memo"] = deep }));

        Outcome outcome = await bank.SendAsync("go", streaming);

        Assert.Null(outcome.Error);
        Assert.Empty(bank.Transfers);
        FunctionResultContent denial = Assert.Single(bank.Model.Requests[^1].SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Contains("nest deeper than 32 levels", denial.Result?.ToString(), StringComparison.Ordinal);
        Assert.Empty((await bank.Store.ListAsync(new StateQuery())).Entries);
    }

    [Fact]
    public async Task F3_ArgumentsTooDeep_BesideAHeldCall_OnlyTheDeepOneIsDenied_TheOtherIsHeld()
    {
        TestBank bank = new();
        string json = string.Concat(Enumerable.Repeat("[", 40)) + "1" + new string(']', 40);
        JsonElement deep = JsonDocument.Parse(json).RootElement.Clone();
        bank.Model.Respond = _ => Testing.ScriptedChatClient.Calls(
            TestBank.TransferCall("c-tr", "bob", 500m),
            Testing.ScriptedChatClient.Call("c-deep", "transfer", new Dictionary<string, object?> { ["to"] = "eve", ["amount"] = 900m, ["memo"] = deep }));

        PendingApproval pending = (await bank.SendAsync("go", streaming: false)).Pending;

        Assert.Equal(CallDecisionStatus.AwaitingApproval, pending.FindCall("c-tr")!.Decision);
        Assert.Equal(CallDecisionStatus.Denied, pending.FindCall("c-deep")!.Decision);
        Assert.Empty(bank.Transfers);
    }

    // F4: an undefined origin value in a stored blob is not a format error.

    [Fact]
    public async Task F4_StoredOriginOutOfRange_ResumeThrowsMisleadingInvalidOperationInsteadOfFormatError()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await TamperAsync(bank, pending.Id, node => node["origin"] = 7);

        Exception? get = await Record.ExceptionAsync(() => bank.Approvals.GetAsync(pending.Id));
        Exception? resume = await Record.ExceptionAsync(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        Assert.IsType<ApprovalStateFormatException>(get);   
        Assert.IsType<ApprovalStateFormatException>(resume);
    }

    // F5: the "no common approver" sentinel is a legal approver id.

    [Fact]
    public async Task F5_NoCommonApprover_AnApproverNamedLikeTheSentinelCanApprove()
    {
        TestBank bank = new(new ApprovalOptions
        {
            Policies =
            {
                ApprovalPolicy.RequireApproval("transfer", "Finance.", ["cfo"]),
                ApprovalPolicy.RequireApproval("transfer", "Security.", ["ciso"]),
            },
        });
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;

        Exception? error = await Record.ExceptionAsync(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(new Approver("mallory", ["\u0000no-common-approver"]))));

        Assert.IsType<ApprovalForbiddenException>(error);
    }

    // A tool of the same name nested inside the approved call (a sub-agent's function invocation) is not the approved call.

    [Fact]
    public async Task NestedCallOfTheSameTool_InsideAResumedCall_DoesNotRun()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        AIFunction protectedTransfer = bank.ChatOptions().Tools!.OfType<AIFunction>().Single(t => t.Name == "transfer");
        Exception? nested = null;
        bank.BeforeTransfer = async () =>
        {
            bank.BeforeTransfer = null;
            nested = await Record.ExceptionAsync(async () =>
                await protectedTransfer.InvokeAsync(new AIFunctionArguments { ["to"] = "mallory", ["amount"] = 9000m }));
        };

        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.IsType<InvalidOperationException>(nested);
        Assert.Equal([("bob", 500m)], bank.Transfers.Select(t => (t.To, t.Amount)));
    }
}
