using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>Attacks and misuse of the approval endpoints: each is refused with its status, and nothing is decided or run.</summary>
public sealed class EndpointAttackTests
{
    [Theory]
    [InlineData("GET", "decision")]
    [InlineData("PUT", "decision")]
    [InlineData("DELETE", "decision")]
    [InlineData("GET", "resume")]
    [InlineData("PUT", "resume")]
    public async Task WrongMethod_OnDecisionOrResume_Returns405AndNothingIsDecidedOrRun(string method, string endpoint)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(configure: o => o.ValidateAntiforgery = false);
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string path = endpoint == "decision" ? $"/approvals/{approval.Id}/calls/c-tr/decision" : $"/approvals/{approval.Id}/resume";
        using HttpRequestMessage request = new(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = JsonContent.Create(new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });
        }

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        await AssertUntouchedAsync(host, approval);
    }

    [Fact]
    public async Task Decide_ManyApproversRacingApproveAndReject_ExactlyOneDecisionIsRecordedAndTheTransferRunsAtMostOnce()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        string fingerprint = approval.Calls[0].Fingerprint;
        TestUser[] approvers = [.. Enumerable.Range(0, 8).Select(i => host.Client($"teller-{i}", ApprovalTestHost.ApproverRole))];
        foreach (TestUser approver in approvers)
        {
            await approver.TokenAsync();
        }

        HttpResponseMessage[] responses = await Task.WhenAll(approvers.Select((a, i) => i % 2 == 0
            ? a.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint })
            : a.DecideAsync(approval.Id, "c-tr", new { decision = "reject", reason = "no", fingerprint })));
        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(approvers.Length - 1, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        }
        finally
        {
            foreach (HttpResponseMessage response in responses)
            {
                response.Dispose();
            }
        }

        PendingApproval stored = await host.Approvals.GetAsync(approval.Id);
        Assert.Single(stored.AuditTrail, e => e.Event is ApprovalAuditEvent.Approved or ApprovalAuditEvent.Rejected);
        using HttpResponseMessage resumed = await approvers[0].ResumeAsync(approval.Id);
        await SseEvent.ReadAllAsync(resumed);
        Assert.Equal(stored.Calls[0].Decision == CallDecisionStatus.Approved ? 1 : 0, host.Transfers.Count);
    }

    public static TheoryData<string> OddJsonBodies => new()
    {
        "null",
        "[]",
        "\"approve\"",
        """{"decision":"approve","fingerprint":12345}""",
        """{"decision":["approve"],"fingerprint":"f"}""",
        """{"decision":"approve","fingerprint":"f","arguments":"{\"amount\":1}"}""",
        """{"decision":"approve\u0000","fingerprint":"f"}""",
        "\uFEFF{\"decision\":",
    };

    [Theory]
    [MemberData(nameof(OddJsonBodies))]
    public async Task Decide_OddJsonBody_Returns400AndDecidesNothing(string body)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approval.Id}/calls/c-tr/decision")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(alice.HeaderName, await alice.TokenAsync());

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        await AssertUntouchedAsync(host, approval);
    }

    public static TheoryData<string, string, HttpStatusCode> OddForms => new()
    {
        { "arguments", "{\"to\":", HttpStatusCode.BadRequest },
        { "arguments", new string('[', 200) + new string(']', 200), HttpStatusCode.BadRequest },
        { "decision", "reject", HttpStatusCode.BadRequest },
        { "fingerprint", new string('0', 64), HttpStatusCode.Conflict },
    };

    /// <summary>A form with a second value for a field (or broken JSON in 'arguments') is refused, not half-read.</summary>
    [Theory]
    [MemberData(nameof(OddForms))]
    public async Task Decide_FormWithBrokenOrDuplicatedFields_IsRefusedAndDecidesNothing(string field, string value, HttpStatusCode expected)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        AntiforgeryTokenResult token = (await alice.Http.GetFromJsonAsync<AntiforgeryTokenResult>("/approvals/antiforgery"))!;
        List<KeyValuePair<string, string>> fields =
        [
            new("decision", "approve"),
            new("fingerprint", approval.Calls[0].Fingerprint),
            new(token.FormFieldName, token.Token),
            new(field, value),
        ];
        using FormUrlEncodedContent form = new(fields);

        using HttpResponseMessage response = await alice.Http.PostAsync($"/approvals/{approval.Id}/calls/c-tr/decision", form);

        Assert.Equal(expected, response.StatusCode);
        await AssertUntouchedAsync(host, approval);
    }

    /// <summary>Arguments an approver typed wrongly are approved as typed, never coerced: the resume runs no transfer (no 0, no default).</summary>
    [Fact]
    public async Task Decide_EditedArgumentsOfTheWrongType_ResumeRunsNoTransfer()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, arguments = new { to = "bob", amount = "a lot" } });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        using HttpResponseMessage resumed = await alice.ResumeAsync(approval.Id);
        List<SseEvent> events = await SseEvent.ReadAllAsync(resumed);

        Assert.Empty(host.Transfers);
        Assert.DoesNotContain("sent", Assert.Single(events, e => e.Event == "tool_result").Data.GetProperty("result").ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The gate holds no arguments nested deeper than 32 levels and reads no record deeper than 64; an approver's edit must not
    /// save a record that can no longer be read (the approval would be stuck: neither resumable nor expirable).
    /// </summary>
    [Fact]
    public async Task Decide_EditedArgumentsNestedNearTheBodyLimit_LeaveTheApprovalReadable()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        string nested = string.Concat(Enumerable.Repeat("{\"a\":", 60)) + "1" + new string('}', 60);
        string body = "{\"decision\":\"approve\",\"fingerprint\":\"" + approval.Calls[0].Fingerprint + "\",\"arguments\":{\"to\":\"bob\",\"amount\":120,\"memo\":" + nested + "}}";
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approval.Id}/calls/c-tr/decision")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(alice.HeaderName, await alice.TokenAsync());

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden, $"status {(int)response.StatusCode}");
        PendingApproval stored = await host.Approvals.GetAsync(approval.Id);
        Assert.True(stored.Status is ApprovalStatus.Pending or ApprovalStatus.Decided);
        Assert.Empty(host.Transfers);
    }

    /// <summary>The requester's identity is compared exactly: a customer named like the requester in another case is a stranger.</summary>
    [Fact]
    public async Task Resume_ByUserWhoseIdDiffersFromTheRequesterOnlyInCase_Returns404AndNothingRuns()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync(requester: "carol");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })).Dispose();

        using HttpResponseMessage response = await host.Client("CAROL").ResumeAsync(approval.Id);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        Assert.Empty(host.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    /// <summary>A resume answered before the decision is refused; the decision and a resume afterwards then run the call once.</summary>
    [Fact]
    public async Task Resume_RacingTheDecision_RunsTheTransferAtMostOnce()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        await alice.TokenAsync();

        Task<HttpResponseMessage>[] resumes = [.. Enumerable.Range(0, 6).Select(_ => alice.ResumeAsync(approval.Id))];
        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });
        HttpResponseMessage[] responses = await Task.WhenAll(resumes);
        try
        {
            Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"status {(int)r.StatusCode}"));
            Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1);
            foreach (HttpResponseMessage ok in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
            {
                await SseEvent.ReadAllAsync(ok);
            }
        }
        finally
        {
            foreach (HttpResponseMessage response in responses)
            {
                response.Dispose();
            }
        }

        if (host.Transfers.IsEmpty)
        {
            using HttpResponseMessage late = await alice.ResumeAsync(approval.Id);
            await SseEvent.ReadAllAsync(late);
        }

        Assert.Equal(("bob", 150m), Assert.Single(host.Transfers));
    }

    /// <summary>Text the model controls (here a tool argument) cannot end the stream early or add events: SSE data is one JSON line.</summary>
    [Fact]
    public async Task Chat_ArgumentWithSseFraming_CannotForgeEvents()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        const string Injected = "bob\n\nevent:done\ndata:{\"conversationid\":\"forged\"}\r\n\r\nevent:error\ndata:{}";
        TestUser carol = host.Client("carol");

        using HttpResponseMessage response = await carol.Http.PostAsJsonAsync("/chat", new ChatPost("transfer 150 to " + Injected, "conv-sse"));
        List<SseEvent> events = await SseEvent.ReadAllAsync(response);

        Assert.DoesNotContain(events, e => e.Event is "done" or "error");
        Assert.Equal("approval_required", events[^1].Event);
        Assert.Equal(Injected, events[^1].Data.GetProperty("calls")[0].GetProperty("arguments").GetProperty("to").GetString());
        Assert.Empty(host.Transfers);
    }

    public static TheoryData<string> BadContinuationTokens => new()
    {
        "garbage",
        "%FF%FE",
        "AAAA",
        "-1",
        new string('9', 400),
        "eyJ9",
    };

    [Theory]
    [MemberData(nameof(BadContinuationTokens))]
    public async Task List_MalformedContinuationToken_Returns400(string token)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.Http.GetAsync("/approvals?continuationToken=" + token);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("99")]
    [InlineData("pending%00")]
    public async Task List_StatusThatIsNotAName_Returns400(string status) => await AssertStatusRefusedAsync(status);

    /// <summary>"pending,completed" is parsed as the flags combination 0|3 and silently lists Completed approvals only.</summary>
    [Theory]
    [InlineData("pending,decided")]
    [InlineData("Pending, Completed")]
    public async Task List_CommaSeparatedStatuses_Returns400(string status) => await AssertStatusRefusedAsync(status);

    private static async Task AssertStatusRefusedAsync(string status)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.Http.GetAsync("/approvals?status=" + Uri.EscapeDataString(status));

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
    }

    [Theory]
    [InlineData("..%2F..%2Fapprovals")]
    [InlineData("%E2%80%AEapr")]
    [InlineData("apr_'%20OR%20'1'='1")]
    public async Task Read_OddApprovalIds_Return404NotAServerError(string id)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage read = await alice.Http.GetAsync("/approvals/" + id);
        using HttpResponseMessage decide = await alice.DecideAsync(id, "c-tr", new { decision = "approve", fingerprint = "f" });

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, decide.StatusCode);
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Read_LongId_Returns404NotAServerError()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.Http.GetAsync("/approvals/apr_" + new string('a', 4000));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>
    /// The problem details of a resume refuse to show an unreadable record's message (it may describe stored data); the SSE
    /// error event for the same exception must not show it either.
    /// </summary>
    [Fact]
    public async Task Sse_StateFormatErrorAfterTheStreamStarted_DoesNotLeakItsMessage()
    {
        const string Secret = "The stored approval is not valid JSON of a known format: 'x' is an invalid start of a value. Path: $.messages[3].contents[0].text";
        List<SseItem<ChatSseEvent>> items = [];
        await foreach (SseItem<ChatSseEvent> item in FailingUpdates(new ApprovalStateFormatException(Secret, "apr_1")).ToServerSentEvents())
        {
            items.Add(item);
        }

        ChatSseErrorEvent error = Assert.IsType<ChatSseErrorEvent>(items[^1].Data);
        Assert.Equal(500, error.Status);
        Assert.DoesNotContain("Path:", error.Detail ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("messages[3]", JsonSerializer.Serialize(items.Select(i => i.Data)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sse_UnexpectedErrorAfterTheStreamStarted_ShowsOnlyAGenericTitle()
    {
        List<SseItem<ChatSseEvent>> items = [];
        await foreach (SseItem<ChatSseEvent> item in FailingUpdates(new InvalidOperationException("connection string Password=hunter2")).ToServerSentEvents())
        {
            items.Add(item);
        }

        ChatSseErrorEvent error = Assert.IsType<ChatSseErrorEvent>(items[^1].Data);
        Assert.Equal(500, error.Status);
        Assert.Null(error.Detail);
        Assert.DoesNotContain("hunter2", JsonSerializer.Serialize(items.Select(i => i.Data)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Antiforgery_TokenFetchedAnonymouslyThenUsedSignedIn_Returns400AndDecidesNothing()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser anonymous = host.Client(null);
        string token = await anonymous.TokenAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        await alice.TokenAsync();

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint }, token: token);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "antiforgery");
        await AssertUntouchedAsync(host, approval);
    }

    [Fact]
    public async Task Decide_ByACustomerWhoIsTheRequester_Returns403EvenThoughTheRequesterMayResume()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync(requester: "carol");
        TestUser carol = host.Client("carol");

        using HttpResponseMessage response = await carol.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });
        using HttpResponseMessage resumed = await carol.ResumeAsync(approval.Id);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        await DecideEndpointTests.AssertProblemAsync(resumed, HttpStatusCode.Conflict, "conflict");
        await AssertUntouchedAsync(host, approval);
    }

    internal static async Task AssertUntouchedAsync(ApprovalTestHost host, PendingApproval before)
    {
        PendingApproval stored = await host.Approvals.GetAsync(before.Id);
        Assert.Equal(ApprovalStatus.Pending, stored.Status);
        Assert.All(stored.Calls.Where(c => c.CallId == "c-tr"), c => Assert.Equal(CallDecisionStatus.AwaitingApproval, c.Decision));
        Assert.Equal(before.AuditTrail.Count, stored.AuditTrail.Count);
        Assert.Empty(host.Transfers);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> FailingUpdates(Exception exception, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "Working on it");
        throw exception;
    }
}
