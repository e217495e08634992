using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Shadow policies: judged live beside the active ones, recorded on every call, never acted on.</summary>
public sealed class ShadowPolicyTests
{
    private int _shadowEvaluations;

    /// <summary>The candidate: transfers up to $1,000 run without a person (the active policies ask above $100).</summary>
    private TestBank ShadowBank(bool throwing = false, bool activeAllowsTransfers = false)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        if (activeAllowsTransfers)
        {
            options.Policies.Clear();
            options.Policies.Add(ApprovalPolicy.Allow("transfer"));
        }

        options.ShadowPolicies.Add(ApprovalPolicy.Named("Looser", ApprovalPolicy.Create(call =>
        {
            Interlocked.Increment(ref _shadowEvaluations);
            if (call.ToolName != "transfer")
            {
                return PolicyVerdict.Allow;
            }

            TransferArgs transfer = call.GetArguments<TransferArgs>();
            if (throwing && transfer.To == "mallory")
            {
                throw new InvalidOperationException("candidate bug");
            }

            return transfer.Amount <= 1000 ? PolicyVerdict.Allow : PolicyVerdict.RequireApproval("Over $1,000.");
        })));
        return new TestBank(options);
    }

    private static async Task<List<RecordedCall>> ReadAllAsync(TestBank bank)
    {
        await bank.Approvals.FlushCallRecordsAsync();
        return await bank.Approvals.History.ReadAsync().ToListAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shadow_Disagrees_HeldCallRecordsBothVerdicts_NothingExtraRuns(bool streaming)
    {
        TestBank bank = ShadowBank();

        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming)).Pending;

        PendingToolCall call = Assert.Single(pending.Calls);
        Assert.Equal(["RequireApprovalWhen(transfer)"], call.Policies);
        RecordedVerdict shadow = Assert.IsType<RecordedVerdict>(call.ShadowVerdict);
        Assert.Equal((PolicyVerdictKind.Allow, (string?)null), (shadow.Kind, shadow.Error));
        Assert.Equal(["Looser"], shadow.Policies);
        Assert.Empty(bank.Transfers);

        PendingApproval stored = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(PolicyVerdictKind.Allow, stored.Calls[0].ShadowVerdict!.Kind);
        RecordedCall recorded = Assert.Single(await ReadAllAsync(bank));
        Assert.Equal((PolicyVerdictKind.RequireApproval, PolicyVerdictKind.Allow, CallOutcome.Awaiting), (recorded.Verdict.Kind, recorded.ShadowVerdict!.Kind, recorded.Outcome));
        Assert.Equal("Transfers over $100 need a person.", recorded.Verdict.Reason);
        Assert.Empty(bank.Transfers);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shadow_Disagrees_AllowedCallRecordsBothVerdicts_ToolRunsOnce(bool streaming)
    {
        TestBank bank = ShadowBank(activeAllowsTransfers: true);
        bank.Model.Respond = messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : ScriptedChatClient.Calls(TestBank.TransferCall("c-tr", "bob", 50m), TestBank.TransferCall("c-big", "bob", 2000m));

        Outcome outcome = await bank.SendAsync("go", streaming);

        // The active policies allow both: the shadow's "ask for $2,000" is recorded and nothing else.
        Assert.Null(outcome.Error);
        Assert.Equal([50m, 2000m], bank.Transfers.Select(t => t.Amount).Order());
        List<RecordedCall> records = await ReadAllAsync(bank);
        Assert.Equal(2, records.Count);
        RecordedCall big = Assert.Single(records, r => r.CallId == "c-big");
        Assert.Equal((CallOutcome.Allowed, PolicyVerdictKind.Allow, PolicyVerdictKind.RequireApproval), (big.Outcome, big.Verdict.Kind, big.ShadowVerdict!.Kind));
        RecordedCall small = Assert.Single(records, r => r.CallId == "c-tr");
        Assert.Equal(PolicyVerdictKind.Allow, small.ShadowVerdict!.Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shadow_Throws_CallUnaffected_ErrorRecorded(bool streaming)
    {
        TestBank bank = ShadowBank(throwing: true);

        Outcome allowed = await bank.SendAsync("transfer 50 to mallory", streaming);
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        Outcome held = await bank.SendAsync("transfer 500 to mallory", streaming);

        Assert.Null(allowed.Error);
        Assert.Equal([50m], bank.Transfers.Select(t => t.Amount));
        PendingToolCall heldCall = Assert.Single(held.Pending.Calls);
        Assert.Contains("candidate bug", heldCall.ShadowVerdict!.Error, StringComparison.Ordinal);
        List<RecordedCall> records = await ReadAllAsync(bank);
        Assert.Equal(2, records.Count);
        RecordedCall allowedRecord = Assert.Single(records, r => r.Outcome == CallOutcome.Allowed);
        Assert.Equal("InvalidOperationException: candidate bug", allowedRecord.ShadowVerdict!.Error);

        AutomationReport report = await bank.Approvals.History.ReportAsync();
        Assert.Equal((2, 0, 2), (report.Shadow.Compared, report.Shadow.Agreed, report.Shadow.Errors));
    }

    [Fact]
    public async Task Shadow_Report_CountsAgreementAndDisagreementPairs()
    {
        TestBank bank = ShadowBank();
        foreach (string text in new[] { "transfer 50 to bob", "transfer 500 to bob", "transfer 700 to bob", "transfer 5000 to bob", "balance" })
        {
            await bank.SendAsync(text, streaming: false);
            bank.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await bank.Approvals.FlushCallRecordsAsync();
        AutomationReport report = await bank.Approvals.History.ReportAsync();

        // 50 (Allow/Allow), 5000 (Require/Require), balance (Allow/Allow) agree; 500 and 700 (Require/Allow) do not.
        Assert.Equal((5, 3, 0), (report.Shadow.Compared, report.Shadow.Agreed, report.Shadow.Errors));
        Assert.Equal(0.6, report.Shadow.AgreementRate, 10);
        KeyValuePair<string, long> pair = Assert.Single(report.Shadow.Disagreements);
        Assert.Equal(("RequireApproval → Allow", 2L), (pair.Key, pair.Value));
        Assert.Equal(5, _shadowEvaluations);
    }

    [Fact]
    public async Task NoShadowPolicies_RecordsNoShadowVerdict()
    {
        TestBank bank = new();
        await bank.SendAsync("transfer 50 to bob", streaming: false);

        RecordedCall record = Assert.Single(await ReadAllAsync(bank));
        Assert.Null(record.ShadowVerdict);
        Assert.Equal(0, (await bank.Approvals.History.ReportAsync()).Shadow.Compared);
    }
}
