using System.Net;
using System.Net.Http.Json;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

public sealed class ReadEndpointTests
{
    [Fact]
    public async Task List_PendingApprovals_NewestFirstInPagesWithContinuationToken()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        List<PendingApproval> created = [];
        for (int i = 0; i < 3; i++)
        {
            created.Add(await host.PauseAsync($"transfer {150 + i} to bob", conversationId: $"conv-{i}"));
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        ApprovalListResult first = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals?pageSize=2"))!;
        ApprovalListResult second = (await alice.Http.GetFromJsonAsync<ApprovalListResult>($"/approvals?pageSize=2&continuationToken={first.ContinuationToken}"))!;

        Assert.Equal([created[2].Id, created[1].Id], first.Items.Select(i => i.Id));
        Assert.NotNull(first.ContinuationToken);
        Assert.Equal([created[0].Id], second.Items.Select(i => i.Id));
        Assert.Null(second.ContinuationToken);
        Assert.True(first.Items[0].Calls[0].CanDecide);
        Assert.Empty(first.Items[0].Excerpt);
    }

    [Fact]
    public async Task List_FiltersByStatusAndConversation()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval a = await host.PauseAsync(conversationId: "conv-a");
        PendingApproval b = await host.PauseAsync(conversationId: "conv-b");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        (await alice.DecideAsync(a.Id, "c-tr", new { decision = "approve", fingerprint = a.Calls[0].Fingerprint })).Dispose();

        ApprovalListResult pending = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals"))!;
        ApprovalListResult decided = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals?status=decided"))!;
        ApprovalListResult all = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals?status=all&conversationId=conv-a"))!;

        Assert.Equal([b.Id], pending.Items.Select(i => i.Id));
        Assert.Equal([a.Id], decided.Items.Select(i => i.Id));
        Assert.Equal([a.Id], all.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task List_ResourceBasedReaderPolicy_ShowsOnlyApprovalsTheUserMayRead_AndGetAgrees()
    {
        // Each desk reads only the conversations whose id starts with its name (as a tenant check would compare tenant ids).
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(
            configure: o => o.ReaderPolicy = "desk",
            authorization: o => o.AddPolicy("desk", p => p.RequireAssertion(context =>
                context.Resource is not PendingApproval approval ||
                approval.Context.ConversationId!.StartsWith(context.User.Identity!.Name! + "-", StringComparison.Ordinal))));
        PendingApproval east1 = await host.PauseAsync(conversationId: "east-1");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        PendingApproval west1 = await host.PauseAsync(conversationId: "west-1");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        PendingApproval east2 = await host.PauseAsync(conversationId: "east-2");

        TestUser east = host.Client("east", ApprovalTestHost.ApproverRole);
        ApprovalListResult all = (await east.Http.GetFromJsonAsync<ApprovalListResult>("/approvals"))!;
        ApprovalListResult first = (await east.Http.GetFromJsonAsync<ApprovalListResult>("/approvals?pageSize=2"))!;
        ApprovalListResult rest = (await east.Http.GetFromJsonAsync<ApprovalListResult>($"/approvals?pageSize=2&continuationToken={first.ContinuationToken}"))!;
        ApprovalListResult west = (await host.Client("west").Http.GetFromJsonAsync<ApprovalListResult>("/approvals"))!;
        using HttpResponseMessage foreign = await east.Http.GetAsync($"/approvals/{west1.Id}");

        Assert.Equal([east2.Id, east1.Id], all.Items.Select(i => i.Id));
        Assert.Equal([east2.Id], first.Items.Select(i => i.Id)); // the page held west-1 too, which east may not see
        Assert.Equal([east1.Id], rest.Items.Select(i => i.Id));
        Assert.Equal([west1.Id], west.Items.Select(i => i.Id));
        await DecideEndpointTests.AssertProblemAsync(foreign, HttpStatusCode.NotFound, "not-found"); // as an unknown id: no existence oracle
    }

    [Theory]
    [InlineData("/approvals?pageSize=0")]
    [InlineData("/approvals?pageSize=101")]
    [InlineData("/approvals?pageSize=ten")]
    [InlineData("/approvals?status=sideways")]
    [InlineData("/approvals?status=3")]
    [InlineData("/approvals?continuationToken=%21%21not-a-token")]
    public async Task List_InvalidQuery_Returns400(string url)
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.Http.GetAsync(url);

        await DecideEndpointTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
    }

    [Fact]
    public async Task List_Anonymous_Returns401AndNonApprover_Returns403()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        await host.PauseAsync();

        using HttpResponseMessage anonymous = await host.Client(null).Http.GetAsync("/approvals");
        using HttpResponseMessage customer = await host.Client("carol").Http.GetAsync("/approvals");

        await DecideEndpointTests.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "unauthenticated");
        await DecideEndpointTests.AssertProblemAsync(customer, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Get_ShowsToolArgumentsReasonFingerprintAndConversationExcerpt()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("balance and transfer 150 to bob");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        ApprovalView view = (await alice.Http.GetFromJsonAsync<ApprovalView>($"/approvals/{approval.Id}"))!;

        Assert.Equal("Pending", view.Status);
        Assert.Equal("carol", view.RequestedBy);
        Assert.Equal("conv-1", view.ConversationId);
        ApprovalCallView transfer = Assert.Single(view.Calls, c => c.AwaitingApproval);
        Assert.Equal("transfer", transfer.ToolName);
        Assert.Equal(150m, transfer.Arguments.GetProperty("amount").GetDecimal());
        Assert.Equal("bob", transfer.Arguments.GetProperty("to").GetString());
        Assert.Equal("Transfers over $100 need a person.", transfer.PolicyReason);
        Assert.Equal(approval.FindCall("c-tr")!.Fingerprint, transfer.Fingerprint);
        Assert.True(transfer.CanDecide);
        ApprovalCallView balance = Assert.Single(view.Calls, c => !c.AwaitingApproval);
        Assert.Equal("AutoAllowed", balance.Decision);
        Assert.False(balance.CanDecide);
        Assert.Equal(["user", "assistant"], view.Excerpt.Select(e => e.Role));
        Assert.Equal("balance and transfer 150 to bob", view.Excerpt[0].Text);
        Assert.Contains("[calls transfer]", view.Excerpt[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_HistoryThatIsNotMessages_StillShowsTheCallsAndSaysTheConversationCannotBeRead()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync("balance and transfer 150 to bob");
        // The same record under another id, its conversation (kept apart by the store) damaged: well-formed, not messages.
        StateEntry entry = (await host.Approvals.Store.GetAsync(approval.Id))!;
        System.Text.Json.Nodes.JsonNode node = System.Text.Json.Nodes.JsonNode.Parse(entry.Data)!;
        node["id"] = "apr_damaged";
        Assert.NotNull(entry.History);
        Assert.True(await host.Approvals.Store.TryCreateAsync(entry with
        {
            Id = "apr_damaged",
            Data = node.ToJsonString(),
            History = """[{"role":"user","contents":[{"$type":"no-such-content"}]}]""",
        }));
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        ApprovalView view = (await alice.Http.GetFromJsonAsync<ApprovalView>("/approvals/apr_damaged"))!;
        ApprovalListResult inbox = (await alice.Http.GetFromJsonAsync<ApprovalListResult>("/approvals"))!;

        Assert.Equal(150m, Assert.Single(view.Calls, c => c.AwaitingApproval).Arguments.GetProperty("amount").GetDecimal());
        ConversationExcerptEntry excerpt = Assert.Single(view.Excerpt);
        Assert.Equal("The conversation of this approval cannot be read.", excerpt.Text);
        Assert.Contains(inbox.Items, i => i.Id == "apr_damaged");
        Assert.Equal(2, inbox.Items.Count);
    }

    [Fact]
    public async Task Get_UnknownId_Returns404AndNonApprover_Returns403()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();

        using HttpResponseMessage unknown = await host.Client("alice", ApprovalTestHost.ApproverRole).Http.GetAsync("/approvals/apr_unknown");
        using HttpResponseMessage customer = await host.Client("carol").Http.GetAsync($"/approvals/{approval.Id}");

        await DecideEndpointTests.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not-found");
        await DecideEndpointTests.AssertProblemAsync(customer, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Get_ByANonReader_Returns403WhetherOrNotTheIdExists()
    {
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser carol = host.Client("carol");

        using HttpResponseMessage existing = await carol.Http.GetAsync($"/approvals/{approval.Id}");
        using HttpResponseMessage unknown = await carol.Http.GetAsync("/approvals/apr_unknown");

        await DecideEndpointTests.AssertProblemAsync(existing, HttpStatusCode.Forbidden, "forbidden");
        await DecideEndpointTests.AssertProblemAsync(unknown, HttpStatusCode.Forbidden, "forbidden"); // not 404: ids do not leak
    }
}
