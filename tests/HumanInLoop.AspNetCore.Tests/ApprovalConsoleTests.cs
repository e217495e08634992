using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// The approver's console on the test server: its headers, who may open it, anti-forgery, read-only mode (console-wide and per user),
/// the inbox filters and count, and that its decisions are the endpoints' decisions.
/// </summary>
public sealed class ApprovalConsoleTests
{
    private const string Auditor = "auditor";
    private const string ReaderPolicy = "test.reader";

    private static Task<ApprovalTestHost> StartAsync(Action<ApprovalConsoleOptions>? console = null) =>
        ApprovalTestHost.StartAsync(
            authorization: o => o.AddPolicy(ReaderPolicy, p => p.RequireRole(ApprovalTestHost.ApproverRole, Auditor)),
            console: o =>
            {
                o.OpenPolicy = o.Endpoints.ReaderPolicy = ReaderPolicy;
                console?.Invoke(o);
            });

    [Theory]
    [InlineData("/console/")]
    [InlineData("/console/assets/console.js")]
    [InlineData("/console/api/session")]
    [InlineData("/console/api/approvals")]
    public async Task Console_EveryResponse_CarriesAStrictContentSecurityPolicyAndNoSniff(string path)
    {
        await using ApprovalTestHost host = await StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.True(response.Headers.CacheControl!.NoStore || response.Headers.CacheControl.NoCache);
        if (path.Contains("/api/", StringComparison.Ordinal))
        {
            Assert.True(response.Headers.CacheControl.NoStore, "data responses are never stored");
        }
    }

    [Fact]
    public async Task Console_Page_ServesEmbeddedAssetsWithNoInlineScriptOrStyleAndNoOtherOrigin()
    {
        await using ApprovalTestHost host = await StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        string page = await alice.Http.GetStringAsync("/console");

        Assert.Contains("""<script type="module" src="/console/assets/console.js"></script>""", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", page, StringComparison.OrdinalIgnoreCase);
        foreach (string asset in new[] { "console.js", "detail.js", "view.js", "api.js", "exact-json.js", "console.css" })
        {
            using HttpResponseMessage response = await alice.Http.GetAsync($"/console/assets/{asset}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", text, StringComparison.OrdinalIgnoreCase);
        }

        using HttpResponseMessage missing = await alice.Http.GetAsync("/console/assets/..%2FHumanInLoop.AspNetCore.dll");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Console_UserOutsideTheOpenPolicy_CannotOpenThePageOrItsData()
    {
        await using ApprovalTestHost host = await StartAsync();
        TestUser customer = host.Client("carol");
        TestUser anonymous = host.Client(null);

        foreach (string path in new[] { "/console/", "/console/assets/console.js", "/console/api/approvals", "/console/api/events" })
        {
            using HttpResponseMessage forbidden = await customer.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            using HttpResponseMessage unauthenticated = await anonymous.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        }
    }

    [Fact]
    public async Task Console_DecisionWithoutAntiforgeryToken_Returns400AndChangesNothing()
    {
        await using ApprovalTestHost host = await StartAsync(o => o.Endpoints.ValidateAntiforgery = false);
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await alice.Http.PostAsJsonAsync(
            $"/console/api/approvals/{approval.Id}/calls/c-tr/decision", new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("anti-forgery", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Console_ApproverWithToken_DecidesThroughTheEndpointsPath()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using HttpResponseMessage response = await PostAsync(alice, $"/console/api/approvals/{approval.Id}/calls/c-tr/decision",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        PendingApproval stored = await host.Approvals.GetAsync(approval.Id);
        Assert.Equal(ApprovalStatus.Decided, stored.Status);
        Assert.Equal("alice", stored.Calls[0].DecidedBy);

        // The same refusals as the endpoints: a second decision is a conflict.
        using HttpResponseMessage again = await PostAsync(alice, $"/console/api/approvals/{approval.Id}/calls/c-tr/decision",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Console_UserWhoMayReadButNotDecide_GetsReadOnlySessionAnd403OnAForgedDecision()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser audrey = host.Client("audrey", Auditor);

        ConsoleSession session = (await audrey.Http.GetFromJsonAsync<ConsoleSession>("/console/api/session"))!;
        Assert.True(session.ReadOnly);
        Assert.False(session.CanResume);
        ApprovalView view = (await audrey.Http.GetFromJsonAsync<ApprovalView>($"/console/api/approvals/{approval.Id}"))!;
        Assert.Equal(approval.Calls[0].Fingerprint, view.Calls[0].Fingerprint);

        using HttpResponseMessage decided = await PostAsync(audrey, $"/console/api/approvals/{approval.Id}/calls/c-tr/decision",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });
        using HttpResponseMessage resumed = await PostAsync(audrey, $"/console/api/approvals/{approval.Id}/resume", new { });

        Assert.Equal(HttpStatusCode.Forbidden, decided.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, resumed.StatusCode);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Console_ReadOnlyMode_ShowsNoDecisionAndRefusesAnApproversDecision()
    {
        await using ApprovalTestHost host = await StartAsync(o => o.ReadOnly = true);
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        ConsoleSession session = (await alice.Http.GetFromJsonAsync<ConsoleSession>("/console/api/session"))!;
        ApprovalView view = (await alice.Http.GetFromJsonAsync<ApprovalView>($"/console/api/approvals/{approval.Id}"))!;
        using HttpResponseMessage decided = await PostAsync(alice, $"/console/api/approvals/{approval.Id}/calls/c-tr/decision",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint });

        Assert.True(session.ReadOnly);
        Assert.False(view.Calls[0].CanDecide);
        Assert.Equal(HttpStatusCode.Forbidden, decided.StatusCode);
        Assert.Contains("read-only", await decided.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(approval.Id)).Status);
    }

    [Fact]
    public async Task Console_Inbox_FiltersByToolAndRequesterAndCountsWhatWaits()
    {
        await using ApprovalTestHost host = await StartAsync();
        await host.PauseAsync("transfer 150 to bob", requester: "carol", conversationId: "conv-1");
        await host.PauseAsync("transfer 250 to dave", requester: "erin", conversationId: "conv-2");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        ConsoleInboxResult all = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals"))!;
        ConsoleInboxResult erin = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?requestedBy=erin"))!;
        ConsoleInboxResult wires = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?tool=wire"))!;
        ConsoleInboxResult mine = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?mine=true"))!;
        using HttpResponseMessage bad = await alice.Http.GetAsync("/console/api/approvals?mine=maybe");

        Assert.Equal(2, all.Items.Count);
        Assert.Equal(2, all.Waiting);
        Assert.True(all.Items[0].ExpiresAt <= all.Items[1].ExpiresAt);
        Assert.Equal("erin", Assert.Single(erin.Items).RequestedBy);
        Assert.Equal(1, erin.Waiting);
        Assert.Empty(wires.Items);
        Assert.Equal(0, wires.Waiting);
        Assert.Equal(2, mine.Items.Count);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Console_Inbox_ListsPendingApprovalsSoonestDeadlineFirst_AcrossPages_AndRefusesATokenOfAnotherOrder()
    {
        // Held an hour apart with one default expiration: the oldest is due first, so newest-first pages would come in reverse.
        await using ApprovalTestHost host = await StartAsync();
        List<string> held = [];
        for (int i = 0; i < 3; i++)
        {
            held.Add((await host.PauseAsync($"transfer {150 + i} to bob", conversationId: $"conv-{i}")).Id);
            host.Time.Advance(TimeSpan.FromHours(1));
        }

        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        List<ApprovalView> listed = [];
        string? token = null;
        do
        {
            string query = token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token);
            ConsoleInboxResult page = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?pageSize=1" + query))!;
            listed.AddRange(page.Items);
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(held, listed.Select(item => item.Id));
        Assert.True(listed[0].ExpiresAt < listed[1].ExpiresAt && listed[1].ExpiresAt < listed[2].ExpiresAt);

        // A token of the pending (deadline) listing does not continue the newest-first listing of all statuses.
        ConsoleInboxResult first = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?pageSize=1"))!;
        using HttpResponseMessage crossed = await alice.Http.GetAsync("/console/api/approvals?status=all&pageSize=1&continuationToken=" + Uri.EscapeDataString(first.ContinuationToken!));
        Assert.Equal(HttpStatusCode.BadRequest, crossed.StatusCode);
    }

    [Fact]
    public async Task Console_Schemas_GiveTheToolsSchemaToAnApproverAndNothingToAReader()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        TestUser audrey = host.Client("audrey", Auditor);

        Dictionary<string, JsonElement> forApprover = (await alice.Http.GetFromJsonAsync<Dictionary<string, JsonElement>>($"/console/api/approvals/{approval.Id}/schemas"))!;
        Dictionary<string, JsonElement> forReader = (await audrey.Http.GetFromJsonAsync<Dictionary<string, JsonElement>>($"/console/api/approvals/{approval.Id}/schemas"))!;
        using HttpResponseMessage unknown = await alice.Http.GetAsync("/console/api/approvals/apr_nope/schemas");

        Assert.Equal("number", forApprover["transfer"].GetProperty("properties").GetProperty("amount").GetProperty("type").GetString());
        Assert.Empty(forReader);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Empty(host.Transfers);
    }

    [Fact]
    public async Task Console_AuditTrail_IsShownVerified_AndABrokenChainAsABreakWithNoEntries()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        using JsonDocument verified = JsonDocument.Parse(await alice.Http.GetStringAsync($"/console/api/approvals/{approval.Id}/audit"));
        Assert.True(verified.RootElement.GetProperty("verified").GetBoolean());
        JsonElement first = verified.RootElement.GetProperty("entries")[0];
        Assert.Equal("Created", first.GetProperty("event").GetString());
        Assert.Equal(approval.AuditTrail[0].Hash, first.GetProperty("hash").GetString());

        // Someone with access to the store rewrites who created it: the chain no longer holds.
        StateEntry stored = (await host.Approvals.Store.GetAsync(approval.Id))!;
        string data = stored.Data;
        int actor = data.IndexOf("\"actor\":\"", StringComparison.Ordinal);
        Assert.True(actor > 0);
        int start = actor + "\"actor\":\"".Length;
        string tampered = string.Concat(data.AsSpan(0, start), "mallory", data.AsSpan(data.IndexOf('"', start)));
        Assert.True(await host.Approvals.Store.TryUpdateAsync(stored with { Data = tampered, Version = stored.Version + 1 }, stored.Version));

        using JsonDocument broken = JsonDocument.Parse(await alice.Http.GetStringAsync($"/console/api/approvals/{approval.Id}/audit"));
        Assert.False(broken.RootElement.GetProperty("verified").GetBoolean());
        Assert.StartsWith("The audit trail is broken", broken.RootElement.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, broken.RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task Console_Events_StreamAChangeMadeThroughTheEndpoints()
    {
        await using ApprovalTestHost host = await StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        using HttpResponseMessage stream = await alice.Http.GetAsync("/console/api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType!.MediaType);
        using StreamReader reader = new(await stream.Content.ReadAsStreamAsync());

        PendingApproval approval = await host.PauseAsync();

        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith("data: ", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        using JsonDocument change = JsonDocument.Parse(line["data: ".Length..]);
        Assert.Equal(approval.Id, change.RootElement.GetProperty("approvalId").GetString());
        Assert.Equal("Pending", change.RootElement.GetProperty("status").GetString());
    }

    private static async Task<HttpResponseMessage> PostAsync(TestUser user, string path, object body)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(user.HeaderName, await user.TokenAsync());
        return await user.Http.SendAsync(request);
    }
}
