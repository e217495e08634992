using System.Net;
using System.Net.Http.Json;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// Tenant isolation and no existence oracle (issue 17) at the HTTP endpoints: with <see cref="ApprovalEndpointOptions.TenantFromUser"/>,
/// another tenant's approval or grant answers exactly like an id that does not exist, on every endpoint.
/// </summary>
public sealed class TenantEndpointTests
{
    private const string GranterRole = "granter";
    private const string Unknown = "apr_AAAAAAAAAAAAAAAAAAAAAA";

    private static Task<ApprovalTestHost> StartAsync(Action<ApprovalEndpointOptions>? configure = null) => ApprovalTestHost.StartAsync(
        configure: o =>
        {
            o.TenantFromUser = user => user.FindFirst(HeaderAuthenticationHandler.TenantClaim)?.Value;
            configure?.Invoke(o);
        },
        approvals: o => o.Granters.Add(GranterRole));

    /// <summary>One approval held for each tenant, and a standing grant made on t2's.</summary>
    private static async Task<(PendingApproval Mine, PendingApproval Theirs, string TheirGrant)> SeedAsync(ApprovalTestHost host)
    {
        PendingApproval mine = await host.PauseAsync("transfer 150 to bob", "carol", "conv-1", tenant: "t1");
        PendingApproval theirs = await host.PauseAsync("transfer 170 to dave", "erin", "conv-2", tenant: "t2");
        PendingApproval theirsToo = await host.PauseAsync("transfer 160 to dave", "erin", "conv-3", tenant: "t2");
        TestUser bob = host.TenantClient("bob", "t2", ApprovalTestHost.ApproverRole, GranterRole);
        using HttpResponseMessage granted = await bob.DecideAsync(theirsToo.Id, "c-tr",
            new { decision = "approve", fingerprint = theirsToo.Calls[0].Fingerprint, grant = new { scope = "tenant", duration = "PT8H" } });
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        GrantView grant = Assert.Single((await bob.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items);
        return (mine, theirs, grant.Id);
    }

    /// <summary>Sends the same request for an id that does not exist and for another tenant's: same status, byte-identical body but the id.</summary>
    private static async Task<HttpStatusCode> AssertSameAnswerAsync(string otherId, string unknownId, Func<string, Task<HttpResponseMessage>> send)
    {
        using HttpResponseMessage unknown = await send(unknownId);
        using HttpResponseMessage other = await send(otherId);
        string unknownBody = (await unknown.Content.ReadAsStringAsync()).Replace(unknownId, "{id}", StringComparison.Ordinal);
        string otherBody = (await other.Content.ReadAsStringAsync()).Replace(otherId, "{id}", StringComparison.Ordinal);

        Assert.Equal(unknown.StatusCode, other.StatusCode);
        Assert.Equal(unknown.Content.Headers.ContentType?.ToString(), other.Content.Headers.ContentType?.ToString());
        Assert.Equal(unknownBody, otherBody);
        return other.StatusCode;
    }

    private static async Task<HttpResponseMessage> PostAsync(TestUser user, string path, object body)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(user.HeaderName, await user.TokenAsync());
        return await user.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Fact]
    public async Task EveryEndpoint_AnotherTenantsId_AnswersExactlyLikeAnUnknownId_AndNothingChanges()
    {
        await using ApprovalTestHost host = await StartAsync();
        (PendingApproval mine, PendingApproval theirs, string theirGrant) = await SeedAsync(host);
        TestUser alice = host.TenantClient("alice", "t1", ApprovalTestHost.ApproverRole, GranterRole);
        string fingerprint = theirs.Calls[0].Fingerprint;

        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirs.Id, Unknown, id => alice.Http.GetAsync($"/approvals/{id}")));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirs.Id, Unknown,
            id => PostAsync(alice, $"/approvals/{id}/calls/c-tr/decision", new { decision = "approve", fingerprint })));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirs.Id, Unknown,
            id => PostAsync(alice, $"/approvals/{id}/calls/c-tr/decision", new { decision = "reject", reason = "no", fingerprint })));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirs.Id, Unknown,
            id => PostAsync(alice, $"/approvals/{id}/calls/c-tr/decision", new { decision = "respond", result = "done by hand", fingerprint })));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirs.Id, Unknown,
            id => PostAsync(alice, $"/approvals/{id}/calls/c-tr/decision", new { decision = "approve", fingerprint, grant = new { scope = "tenant", duration = "PT8H" } })));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirs.Id, Unknown, id => alice.ResumeAsync(id)));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirGrant, "grant_AAAAAAAAAAAAAAAAAAAAAA", id => alice.Http.GetAsync($"/approvals/grants/{id}")));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(theirGrant, "grant_AAAAAAAAAAAAAAAAAAAAAA",
            id => PostAsync(alice, $"/approvals/grants/{id}/revoke", new { reason = "mine now" })));

        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(theirs.Id)).Status);
        Assert.Null((await host.Approvals.Grants.GetAsync(theirGrant)).RevokedAt);
        Assert.DoesNotContain(host.Transfers, t => t.To == "dave" && t.Amount == 170m);

        // Their own tenant's approval: read and decided as ever.
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.GetAsync($"/approvals/{mine.Id}")).StatusCode);
        using HttpResponseMessage decided = await alice.DecideAsync(mine.Id, "c-tr", new { decision = "approve", fingerprint = mine.Calls[0].Fingerprint });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
    }

    [Fact]
    public async Task Lists_HoldOnlyTheUsersTenant()
    {
        await using ApprovalTestHost host = await StartAsync();
        (PendingApproval mine, PendingApproval theirs, string theirGrant) = await SeedAsync(host);
        TestUser alice = host.TenantClient("alice", "t1", ApprovalTestHost.ApproverRole);
        TestUser bob = host.TenantClient("bob", "t2", ApprovalTestHost.ApproverRole);

        ApprovalListResult aliceInbox = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals/?status=all&pageSize=1"))!;
        Assert.Equal([mine.Id], aliceInbox.Items.Select(i => i.Id));
        Assert.Null(aliceInbox.ContinuationToken);
        Assert.Empty((await alice.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items);
        Assert.Contains(theirs.Id, (await bob.Http.GetFromJsonAsync<ApprovalListResult>("/approvals/?status=all"))!.Items.Select(i => i.Id));
        Assert.Equal(theirGrant, Assert.Single((await bob.Http.GetFromJsonAsync<GrantListResult>("/approvals/grants"))!.Items).Id);
    }

    [Fact]
    public async Task UserOfNoTenant_IsRefusedBeforeAnyIdIsLookedUp()
    {
        await using ApprovalTestHost host = await StartAsync();
        (PendingApproval mine, _, string theirGrant) = await SeedAsync(host);
        TestUser nobody = host.TenantClient("mallory", null, ApprovalTestHost.ApproverRole, GranterRole);

        Assert.Equal(HttpStatusCode.Forbidden, await AssertSameAnswerAsync(mine.Id, Unknown, id => nobody.Http.GetAsync($"/approvals/{id}")));
        Assert.Equal(HttpStatusCode.Forbidden, await AssertSameAnswerAsync(mine.Id, Unknown,
            id => PostAsync(nobody, $"/approvals/{id}/calls/c-tr/decision", new { decision = "approve", fingerprint = mine.Calls[0].Fingerprint })));
        Assert.Equal(HttpStatusCode.Forbidden, await AssertSameAnswerAsync(mine.Id, Unknown, id => nobody.ResumeAsync(id)));
        Assert.Equal(HttpStatusCode.Forbidden, await AssertSameAnswerAsync(theirGrant, "grant_AAAAAAAAAAAAAAAAAAAAAA", id => nobody.Http.GetAsync($"/approvals/grants/{id}")));
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.Http.GetAsync("/approvals/")).StatusCode);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(mine.Id)).Status);
    }

    [Fact]
    public async Task WithoutTenants_AnApprovalTheReaderPolicyHides_AnswersExactlyLikeAnUnknownId()
    {
        // Tenants kept apart by a resource-based reader policy instead: the east reader may read only east approvals.
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(
            configure: o => { o.ReaderPolicy = "east"; o.ApproverPolicy = "east"; o.ResumePolicy = "east"; },
            authorization: o => o.AddPolicy("east", p => p.RequireAssertion(c => c.Resource is not PendingApproval a || a.Context.ConversationId == "conv-east")));
        PendingApproval west = await host.PauseAsync("transfer 150 to bob", "carol", "conv-west");
        TestUser east = host.Client("eve", ApprovalTestHost.ApproverRole);
        string fingerprint = west.Calls[0].Fingerprint;

        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(west.Id, Unknown, id => east.Http.GetAsync($"/approvals/{id}")));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(west.Id, Unknown,
            id => PostAsync(east, $"/approvals/{id}/calls/c-tr/decision", new { decision = "approve", fingerprint })));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(west.Id, Unknown, id => east.ResumeAsync(id)));
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(west.Id)).Status);
    }

    [Fact]
    public async Task UserWhoMayNotDecide_GetsTheSame403ForAnExistingIdAndAnUnknownOne()
    {
        // Without tenants: the approver policy is asked before the id is looked up, so a customer learns nothing from a decide.
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser customer = host.Client("mallory");

        Assert.Equal(HttpStatusCode.Forbidden, await AssertSameAnswerAsync(approval.Id, Unknown,
            id => PostAsync(customer, $"/approvals/{id}/calls/c-tr/decision", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint })));
        Assert.Equal(HttpStatusCode.Forbidden, await AssertSameAnswerAsync(approval.Id, Unknown, id => customer.Http.GetAsync($"/approvals/{id}")));
        Assert.Equal(HttpStatusCode.NotFound, await AssertSameAnswerAsync(approval.Id, Unknown, id => customer.ResumeAsync(id)));
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }
}
