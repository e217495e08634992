using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop.Tests;

/// <summary>The lean call record reader reads what the writer writes exactly as the general serializer does, and leaves the rest to it.</summary>
public sealed class CallRecordReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, 123, TimeSpan.Zero);

    public static TheoryData<string> Shapes => ["allowed", "held-and-edited", "minimal", "escapes", "shadow-error", "grant", "versions"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryRead_WhatTheWriterWrites_ReadsItAsTheSerializerDoes(string shape)
    {
        CallRecordEntry entry = CallRecordFormat.ToEntry(Call(shape));

        RecordedCall? lean = CallRecordReader.TryRead(entry.Data);
        RecordedCall general = JsonSerializer.Deserialize<RecordedCall>(entry.Data, HumanInLoopJson.StateOptions)!;

        Assert.NotNull(lean);
        Assert.Equal(JsonSerializer.Serialize(general, HumanInLoopJson.StateOptions), JsonSerializer.Serialize(lean, HumanInLoopJson.StateOptions));
        Assert.Equal(general.SeenAt.Offset, lean.SeenAt.Offset);
        Assert.Equal(entry.Data, CallRecordFormat.ToEntry(lean).Data);
    }

    [Theory]
    [InlineData("""{"id":"r1","toolName":"t","somethingNew":1}""")]
    [InlineData("""{"ID":"r1","toolName":"t"}""")]
    [InlineData("""{"id":"r1","toolName":"t","outcome":4}""")]
    [InlineData("""{"id":"r1","toolName":"t","verdict":null}""")]
    [InlineData("""{"id":"r1","toolName":"t","context":{"userId":"u","roles":[]}}""")]
    [InlineData("""{"id":"r1","toolName":"t"} trailing""")]
    [InlineData("""{"id":"r1","toolName":"t",}""")]
    [InlineData("""[]""")]
    [InlineData("\"\ud800\"")]
    public void TryRead_AnythingElse_LeavesItToTheSerializer(string data)
    {
        Assert.Null(CallRecordReader.TryRead(data));
    }

    [Fact]
    public void Read_AnOutcomeAsANumber_StillReadsThroughTheSerializer()
    {
        string data = """{"id":"r1","callId":"c","toolName":"t","arguments":{},"outcome":4,"seenAt":"2026-11-24T12:00:00+00:00"}""";

        RecordedCall call = CallRecordFormat.Read(new CallRecordEntry("r1", "t", null, T0, data));

        Assert.Equal(CallOutcome.Approved, call.Outcome);
    }

    [Theory]
    [InlineData("""{"id":"r1","toolName":"t","seenAt":null}""")]
    [InlineData("""not json""")]
    [InlineData("""{"id":"other","toolName":"t"}""")]
    public void Read_ARecordNeitherReaderAccepts_IsUnreadable(string data)
    {
        Assert.Throws<ApprovalStateFormatException>(() => CallRecordFormat.Read(new CallRecordEntry("r1", "t", null, T0, data)));
    }

    [Fact]
    public async Task SavedCallRecords_WrittenBeforeVersions_LoadThroughTheLeanReaderAndTheHistory_WithoutVersions()
    {
        // Frozen when policy versions were added to verdicts (issue 22): the call records every store held until then. Never regenerate it.
        using JsonDocument saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", "call-records-v1.json")));
        CallRecordEntry[] entries = [.. saved.RootElement.EnumerateArray().Select(e => new CallRecordEntry(
            e.GetProperty("id").GetString()!, e.GetProperty("toolName").GetString()!, e.GetProperty("tenantId").GetString(),
            e.GetProperty("recordedAt").GetDateTimeOffset(), e.GetProperty("data").GetString()!))];

        Assert.All(entries, e => Assert.NotNull(CallRecordReader.TryRead(e.Data)));
        InMemoryStateStore store = new();
        await store.AppendCallRecordsAsync(entries);
        List<RecordedCall> calls = await new ApprovalService(store).History.ReadAsync().ToListAsync();

        Assert.Equal(2, calls.Count);
        RecordedCall denied = calls.Single(c => c.ToolName == "delete_account");
        Assert.Equal((CallOutcome.Denied, "Deny(delete_account)"), (denied.Outcome, Assert.Single(denied.Verdict.Policies)));
        RecordedCall allowed = calls.Single(c => c.ToolName == "check_balance");
        Assert.Equal(["Stricter"], allowed.ShadowVerdict!.Policies);
        Assert.All(calls, c => Assert.Empty(c.Verdict.PolicyVersions));
        Assert.All(calls, c => Assert.Empty(c.ShadowVerdict!.PolicyVersions));
        Assert.All(entries, e => Assert.Equal(e.Data, CallRecordFormat.ToEntry(CallRecordFormat.Read(e)).Data)); // written back byte for byte
    }

    private static RecordedCall Call(string shape) => shape switch
    {
        "allowed" => new RecordedCall
        {
            Id = "call_1", CallId = "c1", ToolName = "transfer", Arguments = Json("""{"amount":12.5,"to":"bob","memo":null,"tags":["a",{"b":[1,2]}]}"""),
            Context = new CallerContext { UserId = "carol", TenantId = "t1", ConversationId = "conv" }, SeenAt = T0,
            Verdict = new RecordedVerdict(PolicyVerdictKind.Allow, null, ["small-transfers"]),
            ShadowVerdict = new RecordedVerdict(PolicyVerdictKind.RequireApproval, "Over $10", ["strict"]), Outcome = CallOutcome.Allowed, DecidedAt = T0,
        },
        "held-and-edited" => new RecordedCall
        {
            Id = "apr_1/c2", ApprovalId = "apr_1", CallId = "c2", ToolName = "transfer", Arguments = Json("""{"amount":500,"to":"bob"}"""),
            Context = new CallerContext { UserId = "carol" }, SeenAt = T0.ToOffset(TimeSpan.FromHours(2)),
            Verdict = new RecordedVerdict(PolicyVerdictKind.RequireApproval, "Over $100", ["a", "b"]), Outcome = CallOutcome.Edited,
            DecidedBy = "teller", DecidedAt = T0.AddMinutes(3), DecisionReason = "Lowered", EditedArguments = Json("""{"amount":100,"to":"bob"}"""),
        },
        "minimal" => new RecordedCall { Id = "r", CallId = "", ToolName = "t", Arguments = Json("{}"), SeenAt = T0 },
        "escapes" => new RecordedCall
        {
            Id = "r\"1", CallId = "c\\1", ToolName = "tr\u00e4nsfer", Arguments = Json("""{"to":"b\u00f6b \ud83d\ude00 \"quoted\"\n"}"""),
            Context = new CallerContext { UserId = "<script>&" }, SeenAt = T0, Outcome = CallOutcome.Rejected, DecisionReason = "Line one\nline two \u2028 \ud83d\ude00",
            Verdict = new RecordedVerdict(PolicyVerdictKind.Deny, "No \"zed\"", ["validation"]),
        },
        "shadow-error" => new RecordedCall
        {
            Id = "r2", CallId = "c", ToolName = "t", Arguments = Json("[1,2,3]"), SeenAt = T0, Outcome = CallOutcome.Denied,
            Verdict = new RecordedVerdict(PolicyVerdictKind.Deny, "no", []),
            ShadowVerdict = new RecordedVerdict(PolicyVerdictKind.RequireApproval, null, [], "InvalidOperationException: boom"),
        },
        "versions" => new RecordedCall
        {
            Id = "r4", CallId = "c", ToolName = "transfer", Arguments = Json("""{"amount":180,"to":"bob"}"""), SeenAt = T0, Outcome = CallOutcome.Allowed,
            Verdict = new RecordedVerdict(PolicyVerdictKind.Allow, null, ["rules/small-transfers"], policyVersions: ["build-7", "sha256:aaa"]),
            ShadowVerdict = new RecordedVerdict(PolicyVerdictKind.RequireApproval, "Over $100", ["candidate/big"], policyVersions: ["sha256:bbb"]),
        },
        _ => new RecordedCall
        {
            Id = "r3", CallId = "c", ToolName = "transfer", Arguments = Json("""{"amount":180,"to":"bob"}"""), SeenAt = T0,
            Verdict = new RecordedVerdict(PolicyVerdictKind.RequireApproval, "Over $100", ["x"]), Outcome = CallOutcome.AllowedByGrant,
            DecidedBy = "teller", DecidedAt = T0, GrantId = "grt_1",
        },
    };

    private static JsonElement Json(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
