using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

public sealed class GrantEndpointTests
{
    private const string GranterRole = "granter";

    private static readonly object BobUpTo200 = new
    {
        scope = "user",
        duration = "PT8H",
        argumentBounds = new object[] { new { name = "to", equal = "bob" }, new { name = "amount", atMost = 200 } },
    };

    [Fact]
    public async Task Decide_ApproveWithGrant_LaterCallsWithinTheBoundsRunWithoutAPerson()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);

        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, grant = BobUpTo200 });

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        GrantView grant = Assert.Single((await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items);
        Assert.Equal(("transfer", "User", "carol", "alice", approval.Id, "c-tr"), (grant.ToolName, grant.Scope, grant.ScopeId, grant.GrantedBy, grant.ApprovalId, grant.CallId));
        Assert.Equal(host.Time.GetUtcNow() + TimeSpan.FromHours(8), grant.ExpiresAt);
        Assert.Equal("bob", grant.ArgumentBounds[0].Equal!.Value.GetString());
        Assert.Equal(200m, grant.ArgumentBounds[1].AtMost);

        List<SseEvent> within = await ChatAsync(host, "transfer 180 to bob", "conv-2");
        List<SseEvent> over = await ChatAsync(host, "transfer 250 to bob", "conv-3");

        Assert.Equal("done", within[^1].Event);
        Assert.Equal(("bob", 180m), Assert.Single(host.Transfers));
        Assert.Equal("approval_required", over[^1].Event);
    }

    [Fact]
    public async Task Decide_GrantByApproverWhoIsNotAGranter_Returns403AndNothingIsDecided()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, grant = BobUpTo200 });

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
        Assert.Empty((await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items);
    }

    public static TheoryData<string, string> BadGrants => new()
    {
        { """{"decision":"approve","grant":{"scope":"user","duration":"PT0S"}}""", "duration" },
        { """{"decision":"approve","grant":{"scope":"user","duration":"-PT1H"}}""", "duration" },
        { """{"decision":"approve","grant":{"scope":"user","duration":"P91D"}}""", "duration" },
        { """{"decision":"approve","grant":{"scope":"user","duration":"soon"}}""", "duration" },
        { """{"decision":"approve","grant":{"scope":"user"}}""", "duration" },
        { """{"decision":"approve","grant":{"scope":"planet","duration":"PT1H"}}""", "scope" },
        { """{"decision":"approve","grant":{"scope":"1","duration":"PT1H"}}""", "scope" },
        { """{"decision":"approve","grant":{"scope":"user","duration":"PT1H","argumentBounds":[{"name":"amount","equal":1,"atMost":2}]}}""", "exactly one" },
        { """{"decision":"approve","grant":{"scope":"user","duration":"PT1H","argumentBounds":[{"name":"amount"}]}}""", "exactly one" },
        { """{"decision":"approve","grant":{"scope":"tenant","duration":"PT1H"}}""", "tenant" },
        { """{"decision":"reject","reason":"no","grant":{"scope":"user","duration":"PT1H"}}""", "grant" },
    };

    [Theory]
    [MemberData(nameof(BadGrants))]
    public async Task Decide_InvalidGrant_Returns400AndNothingIsDecided(string json, string mentioned)
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        string body = json.Replace("\"decision\"", $"\"fingerprint\":\"{approval.Calls[0].Fingerprint}\",\"decision\"", StringComparison.Ordinal);

        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/{approval.Id}/calls/c-tr/decision") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(alice.HeaderName, await alice.TokenAsync());
        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains(mentioned, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
        Assert.Empty((await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items);
    }

    [Fact]
    public async Task Decide_GrantAsFormField_IsMade()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        AntiforgeryTokenResult token = (await alice.Http.GetFromJsonAsync<AntiforgeryTokenResult>("/approvals/antiforgery"))!;

        using FormUrlEncodedContent form = new(new Dictionary<string, string>
        {
            ["decision"] = "approve",
            ["fingerprint"] = approval.Calls[0].Fingerprint,
            ["grant"] = """{"scope":"conversation","duration":"1.00:00:00"}""",
            [token.FormFieldName] = token.Token,
        });
        using HttpResponseMessage response = await alice.Http.PostAsync($"/approvals/{approval.Id}/calls/c-tr/decision", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        GrantView grant = Assert.Single((await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items);
        Assert.Equal(("Conversation", "conv-1", TimeSpan.FromDays(1)), (grant.Scope, grant.ScopeId, grant.ExpiresAt - grant.CreatedAt));
    }

    [Fact]
    public async Task Get_KnownGrant_Returns200_UnknownReturns404()
    {
        await using ApprovalTestHost host = await StartAsync();
        string grantId = await GrantAsync(host);
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        GrantView grant = (await alice.Http.GetFromJsonAsync<GrantView>($"/approvals/grants/{grantId}"))!;
        using HttpResponseMessage missing = await alice.Http.GetAsync("/approvals/grants/grt_nope");

        Assert.Equal(grantId, grant.Id);
        JsonElement problem = await DecideEndpointTests.AssertProblemAsync(missing, HttpStatusCode.NotFound, "not-found");
        Assert.Equal("grt_nope", problem.GetProperty("grantId").GetString());
    }

    [Fact]
    public async Task Grants_HiddenByResourceBasedReaderPolicy_AnswerExactlyAsAnUnknownId()
    {
        // Each desk reads only the grants made on its own conversations ("east-..." for east).
        await using ApprovalTestHost host = await StartAsync(
            configure: o => o.ReaderPolicy = "desk",
            authorization: o => o.AddPolicy("desk", p => p.RequireAssertion(context =>
                context.Resource is not ApprovalGrant grant || grant.ScopeId!.StartsWith(context.User.Identity!.Name! + "-", StringComparison.Ordinal))));
        string westGrant = await GrantAsync(host, conversationId: "west-1");
        TestUser east = host.Client("east", ApprovalTestHost.ApproverRole, GranterRole);

        using HttpResponseMessage hidden = await east.Http.GetAsync($"/approvals/grants/{westGrant}");
        using HttpResponseMessage unknown = await east.Http.GetAsync("/approvals/grants/grt_nope");
        using HttpResponseMessage revokeHidden = await RevokeAsync(east, westGrant, new { reason = "mine now" });
        GrantListResult listed = (await east.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!;

        string hiddenBody = (await hidden.Content.ReadAsStringAsync()).Replace(westGrant, "ID", StringComparison.Ordinal);
        string unknownBody = (await unknown.Content.ReadAsStringAsync()).Replace("grt_nope", "ID", StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.NotFound, unknownBody), (hidden.StatusCode, hiddenBody));
        Assert.Equal(HttpStatusCode.NotFound, revokeHidden.StatusCode);
        Assert.Empty(listed.Items);
        Assert.Null((await host.Approvals.Grants.GetAsync(westGrant)).RevokedAt);
    }

    [Fact]
    public async Task List_FiltersByToolAndActive()
    {
        await using ApprovalTestHost host = await StartAsync();
        string first = await GrantAsync(host, conversationId: "conv-1");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        string second = await GrantAsync(host, conversationId: "conv-2", requester: "dan"); // carol's transfer is covered by the first grant
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        using HttpResponseMessage revoked = await RevokeAsync(alice, first, new { reason = "Too broad." });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        GrantListResult all = (await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!;
        GrantListResult active = (await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants?active=true"))!;
        GrantListResult transfers = (await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants?tool=transfer"))!;
        GrantListResult wires = (await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants?tool=wire"))!;
        GrantListResult page1 = (await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants?pageSize=1"))!;
        GrantListResult page2 = (await alice.Http.GetFromJsonAsync<GrantListResult>($"/approvals/grants?pageSize=1&continuationToken={page1.ContinuationToken}"))!;
        host.Time.Advance(TimeSpan.FromHours(9));
        GrantListResult activeLater = (await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants?active=true"))!;

        Assert.Equal([second, first], all.Items.Select(g => g.Id));
        Assert.Equal([second], active.Items.Select(g => g.Id));
        Assert.Equal([second, first], transfers.Items.Select(g => g.Id));
        Assert.Empty(wires.Items);
        Assert.Equal([second], page1.Items.Select(g => g.Id));
        Assert.Equal([first], page2.Items.Select(g => g.Id));
        Assert.Empty(activeLater.Items); // expired after 8 hours
    }

    [Theory]
    [InlineData("/approvals/grants?active=maybe")]
    [InlineData("/approvals/grants?pageSize=0")]
    [InlineData("/approvals/grants?continuationToken=%21%21not-a-token")]
    public async Task List_InvalidQuery_Returns400(string url)
    {
        await using ApprovalTestHost host = await StartAsync();
        using HttpResponseMessage response = await host.Client("alice", ApprovalTestHost.ApproverRole).Http.GetAsync(url);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
    }

    [Fact]
    public async Task ListAndGet_Anonymous_Returns401_NonReaderReturns403WhetherOrNotTheIdExists()
    {
        await using ApprovalTestHost host = await StartAsync();
        string grantId = await GrantAsync(host);
        TestUser carol = host.Client("carol");

        using HttpResponseMessage anonymous = await host.Client(null).Http.GetAsync("/approvals/grants");
        using HttpResponseMessage list = await carol.Http.GetAsync("/approvals/grants");
        using HttpResponseMessage known = await carol.Http.GetAsync($"/approvals/grants/{grantId}");
        using HttpResponseMessage unknown = await carol.Http.GetAsync("/approvals/grants/grt_nope");

        await DecideEndpointTests.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "unauthenticated");
        await DecideEndpointTests.AssertProblemAsync(list, HttpStatusCode.Forbidden, "forbidden");
        await DecideEndpointTests.AssertProblemAsync(known, HttpStatusCode.Forbidden, "forbidden");
        await DecideEndpointTests.AssertProblemAsync(unknown, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Revoke_ByItsMaker_RecordsWhoAndWhy_AndLaterCallsNeedAPersonAgain()
    {
        await using ApprovalTestHost host = await StartAsync();
        string grantId = await GrantAsync(host);
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await RevokeAsync(alice, grantId, new { reason = "Bob's account was closed.", revokedBy = "mallory" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        GrantView view = (await response.Content.ReadFromJsonAsync<GrantView>())!;
        Assert.Equal(("alice", "Bob's account was closed.", host.Time.GetUtcNow()), (view.RevokedBy, view.RevokeReason, view.RevokedAt!.Value));
        Assert.Equal("alice", (await host.Approvals.Grants.GetAsync(grantId)).RevokedBy);
        List<SseEvent> later = await ChatAsync(host, "transfer 180 to bob", "conv-2");
        Assert.Equal("approval_required", later[^1].Event);
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Revoke_ByAnotherGranterAsForm_Returns200()
    {
        await using ApprovalTestHost host = await StartAsync();
        string grantId = await GrantAsync(host);
        TestUser dave = host.Client("dave", ApprovalTestHost.ApproverRole, GranterRole);
        AntiforgeryTokenResult token = (await dave.Http.GetFromJsonAsync<AntiforgeryTokenResult>("/approvals/antiforgery"))!;

        using FormUrlEncodedContent form = new(new Dictionary<string, string> { ["reason"] = "Audit finding 12.", [token.FormFieldName] = token.Token });
        using HttpResponseMessage response = await dave.Http.PostAsync($"/approvals/grants/{grantId}/revoke", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("dave", (await host.Approvals.Grants.GetAsync(grantId)).RevokedBy);
    }

    [Fact]
    public async Task Revoke_ByAnApproverWhoNeitherMadeItNorIsAGranter_Returns403AndTheGrantStands()
    {
        await using ApprovalTestHost host = await StartAsync();
        string grantId = await GrantAsync(host);

        using HttpResponseMessage response = await RevokeAsync(host.Client("erin", ApprovalTestHost.ApproverRole), grantId, new { reason = "Because." });

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Null((await host.Approvals.Grants.GetAsync(grantId)).RevokedAt);
    }

    [Fact]
    public async Task Revoke_Refusals_AreTypedStatusesAndTheGrantStands()
    {
        await using ApprovalTestHost host = await StartAsync();
        string grantId = await GrantAsync(host);
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        TestUser carol = host.Client("carol");

        using HttpResponseMessage unknown = await RevokeAsync(alice, "grt_nope", new { reason = "x" });
        using HttpResponseMessage noReason = await RevokeAsync(alice, grantId, new { reason = "  " });
        using HttpResponseMessage longReason = await RevokeAsync(alice, grantId, new { reason = new string('x', 1001) });
        using HttpResponseMessage noToken = await RevokeAsync(alice, grantId, new { reason = "x" }, withToken: false);
        using HttpResponseMessage anonymous = await RevokeAsync(host.Client(null), grantId, new { reason = "x" }, withToken: false);
        using HttpResponseMessage notApprover = await RevokeAsync(carol, grantId, new { reason = "x" });
        using HttpResponseMessage notApproverUnknown = await RevokeAsync(carol, "grt_nope", new { reason = "x" });
        using HttpRequestMessage text = new(HttpMethod.Post, $"/approvals/grants/{grantId}/revoke") { Content = new StringContent("x", Encoding.UTF8, "text/plain") };
        text.Headers.Add(alice.HeaderName, await alice.TokenAsync());
        using HttpResponseMessage plain = await alice.Http.SendAsync(text);

        await DecideEndpointTests.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not-found");
        await DecideEndpointTests.AssertProblemAsync(noReason, HttpStatusCode.BadRequest, "bad-request");
        await DecideEndpointTests.AssertProblemAsync(longReason, HttpStatusCode.BadRequest, "bad-request");
        await DecideEndpointTests.AssertProblemAsync(noToken, HttpStatusCode.BadRequest, "antiforgery");
        await DecideEndpointTests.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "unauthenticated");
        await DecideEndpointTests.AssertProblemAsync(notApprover, HttpStatusCode.Forbidden, "forbidden");
        await DecideEndpointTests.AssertProblemAsync(notApproverUnknown, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode); // refused by routing (Accepts), as a decision is
        Assert.Null((await host.Approvals.Grants.GetAsync(grantId)).RevokedAt);
    }

    private static Task<ApprovalTestHost> StartAsync(
        Action<ApprovalEndpointOptions>? configure = null, Action<Microsoft.AspNetCore.Authorization.AuthorizationOptions>? authorization = null) =>
        ApprovalTestHost.StartAsync(configure: configure, authorization: authorization, approvals: o => o.Granters.Add(GranterRole));

    /// <summary>The requester's "transfer 150 to bob" paused in <paramref name="conversationId"/>, approved by alice with a grant for that user, bob, up to $200, 8 hours.</summary>
    private static async Task<string> GrantAsync(ApprovalTestHost host, string conversationId = "conv-1", string requester = "carol")
    {
        PendingApproval approval = await host.PauseAsync(requester: requester, conversationId: conversationId);
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, grant = BobUpTo200 });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        await foreach (ApprovalGrant grant in host.Approvals.Grants.ListAsync())
        {
            if (grant.ApprovalId == approval.Id)
            {
                return grant.Id;
            }
        }

        throw new InvalidOperationException("No grant was made.");
    }

    private static async Task<List<SseEvent>> ChatAsync(ApprovalTestHost host, string message, string conversationId)
    {
        using HttpResponseMessage response = await host.Client("carol").Http.PostAsJsonAsync("/chat", new ChatPost(message, conversationId));
        return await SseEvent.ReadAllAsync(response);
    }

    private static async Task<HttpResponseMessage> RevokeAsync(TestUser user, string grantId, object body, bool withToken = true)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, $"/approvals/grants/{grantId}/revoke") { Content = JsonContent.Create(body) };
        if (withToken)
        {
            request.Headers.Add(user.HeaderName, await user.TokenAsync());
        }

        return await user.Http.SendAsync(request);
    }
}
