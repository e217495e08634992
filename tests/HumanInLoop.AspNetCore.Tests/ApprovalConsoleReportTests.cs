using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore.Tests;

/// <summary>
/// The console's automation report (numbers from a real history in the in-memory store, drawn as SVG with tables), its replay of
/// the host's candidate policies, its grants with revoke (the grant endpoints' handlers), "don't ask again" on approve, and the age filter.
/// </summary>
public sealed class ApprovalConsoleReportTests
{
    private const string Auditor = "auditor";
    private const string ReaderPolicy = "test.reader";
    private const string GranterRole = "granter";

    private static Task<ApprovalTestHost> StartAsync(Action<ApprovalConsoleOptions>? console = null) =>
        ApprovalTestHost.StartAsync(
            authorization: o => o.AddPolicy(ReaderPolicy, p => p.RequireRole(ApprovalTestHost.ApproverRole, Auditor)),
            approvals: o => o.Granters.Add(GranterRole),
            console: o =>
            {
                o.OpenPolicy = o.Endpoints.ReaderPolicy = ReaderPolicy;
                o.ReplayCandidates["Transfers run alone"] = [ApprovalPolicy.Allow("transfer", "check_balance")];
                o.ReplayCandidates["Ask for everything"] = [ApprovalPolicy.RequireApproval("transfer", "Ask."), ApprovalPolicy.RequireApproval("check_balance", "Ask.")];
                console?.Invoke(o);
            });

    /// <summary>Two balance checks allowed at once; three transfers held: one approved after 2 min, one rejected after 10 min, one waiting.</summary>
    private static async Task SeedAsync(ApprovalTestHost host)
    {
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);
        foreach (string conversation in new[] { "conv-b1", "conv-b2" })
        {
            // Allowed at once: the chat ends with the answer, no approval.
            using HttpResponseMessage chat = await host.Client("carol").Http.PostAsJsonAsync("/chat", new ChatPost("balance", conversation));
            Assert.Equal("done", (await SseEvent.ReadAllAsync(chat))[^1].Event);
        }

        PendingApproval approved = await host.PauseAsync("transfer 150 to bob", conversationId: "conv-1");
        PendingApproval rejected = await host.PauseAsync("transfer 900 to mallory", conversationId: "conv-2");
        await host.PauseAsync("transfer 120 to dave", conversationId: "conv-3");
        host.Time.Advance(TimeSpan.FromMinutes(2));
        using HttpResponseMessage yes = await alice.DecideAsync(approved.Id, "c-tr", new { decision = "approve", fingerprint = approved.Calls[0].Fingerprint });
        host.Time.Advance(TimeSpan.FromMinutes(8));
        using HttpResponseMessage no = await alice.DecideAsync(rejected.Id, "c-tr", new { decision = "reject", fingerprint = rejected.Calls[0].Fingerprint, reason = "Not this payee." });
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (yes.StatusCode, no.StatusCode));
    }

    private static string[] Row(ConsoleChart chart, string name) => [.. Assert.Single(chart.Rows, r => r[0] == name)];

    [Fact]
    public async Task Report_CountsARealHistory_AsChartsWithTheirTables()
    {
        await using ApprovalTestHost host = await StartAsync();
        await SeedAsync(host);
        TestUser audrey = host.Client("audrey", Auditor);

        ConsoleReport report = (await audrey.Http.GetFromJsonAsync<ConsoleReport>("/console/api/report"))!;

        Assert.Equal((new DateOnly(2026, 10, 26), new DateOnly(2026, 11, 24), "day"), (report.From, report.To, report.Bucket));
        Assert.Equal(5, report.Seen);
        Assert.Equal(0.4, report.AutomationRate, 10);
        Assert.Equal(["automation-over-time", "automation-by-tool", "decisions-by-outcome", "time-to-decision", "shadow-agreement"], report.Charts.Select(c => c.Id));
        ConsoleChart overTime = report.Charts[0];
        Assert.Equal(30, overTime.Rows.Count);
        Assert.Equal(["2026-11-24", "5", "2", "3", "40%"], Row(overTime, "2026-11-24"));
        Assert.Equal(["2026-11-23", "0", "0", "0", "—"], Row(overTime, "2026-11-23"));
        Assert.Equal(["check_balance", "2", "2", "100%"], Row(report.Charts[1], "check_balance"));
        Assert.Equal(["transfer", "3", "0", "0%"], Row(report.Charts[1], "transfer"));
        Assert.Equal(["Approved", "1"], Row(report.Charts[2], "Approved"));
        Assert.Equal(["Rejected", "1"], Row(report.Charts[2], "Rejected"));
        Assert.Equal(["Still waiting", "1"], Row(report.Charts[2], "Still waiting"));
        Assert.Equal(["All tools", "2", "2 min 0 s", "10 min 0 s"], Row(report.Charts[3], "All tools"));
        Assert.Equal(["transfer", "2", "2 min 0 s", "10 min 0 s"], Row(report.Charts[3], "transfer"));

        // The SVG: a document with a title and description for screen readers, a bar per row with its value, no script, no style attribute.
        foreach (ConsoleChart chart in report.Charts)
        {
            XElement svg = XElement.Parse(chart.Svg);
            Assert.Equal("svg", svg.Name.LocalName);
            Assert.Equal("img", svg.Attribute("role")!.Value);
            Assert.Equal(chart.Title, svg.Elements().First(e => e.Name.LocalName == "title").Value);
            Assert.DoesNotContain("script", chart.Svg, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("style=", chart.Svg, StringComparison.OrdinalIgnoreCase);
        }

        XElement byTool = XElement.Parse(report.Charts[1].Svg);
        XElement transfer = byTool.Descendants().Single(e => e.Attribute("data-label")?.Value == "transfer");
        Assert.Contains(transfer.Descendants(), e => e.Name.LocalName == "text" && e.Value == "0% (0 of 3)");
        XElement balance = byTool.Descendants().Single(e => e.Attribute("data-label")?.Value == "check_balance");
        Assert.Equal("330", balance.Descendants().Single(e => e.Name.LocalName == "rect").Attribute("width")!.Value); // 100%: the whole bar
    }

    [Fact]
    public async Task Report_ToolFilterAndWeeks_AndBadInputIs400_AndANonReaderIs403()
    {
        await using ApprovalTestHost host = await StartAsync();
        await SeedAsync(host);
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        ConsoleReport transfers = (await alice.Http.GetFromJsonAsync<ConsoleReport>("/console/api/report?tool=transfer&from=2026-11-01&to=2026-11-30&bucket=week"))!;
        Assert.Equal((3L, "week"), (transfers.Seen, transfers.Bucket));
        Assert.Equal(["week of 2026-11-23", "3", "0", "3", "0%"], Row(transfers.Charts[0], "week of 2026-11-23"));
        Assert.Equal("week of 2026-10-26", transfers.Charts[0].Rows[0][0]); // weeks start on Monday: the first holds 1 November only

        foreach (string bad in new[] { "from=2026-11-24&to=2026-11-01", "from=24/11/2026", "bucket=month", "from=2024-01-01&to=2026-11-24" })
        {
            using HttpResponseMessage refused = await alice.Http.GetAsync($"/console/api/report?{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using HttpResponseMessage carol = await host.Client("carol").Http.GetAsync("/console/api/report");
        Assert.Equal(HttpStatusCode.Forbidden, carol.StatusCode);
    }

    [Fact]
    public async Task ReportAndReplay_WithTenants_CountAndListOnlyTheUsersTenant()
    {
        await using ApprovalTestHost host = await StartAsync(o => o.Endpoints.TenantFromUser = user => user.FindFirst(HeaderAuthenticationHandler.TenantClaim)?.Value);
        PendingApproval mine = await host.PauseAsync("transfer 150 to bob", conversationId: "conv-1", tenant: "t1");
        PendingApproval theirs = await host.PauseAsync("transfer 900 to mallory", conversationId: "conv-2", tenant: "t2");
        await host.PauseAsync("transfer 300 to erin", conversationId: "conv-3", tenant: "t2");
        await host.Approvals.DecideAsync(mine.Id, "c-tr", ApprovalDecision.Reject(new Approver("alice"), "No."));
        await host.Approvals.DecideAsync(theirs.Id, "c-tr", ApprovalDecision.Reject(new Approver("bob"), "Secret reason."));
        TestUser alice = host.TenantClient("alice", "t1", ApprovalTestHost.ApproverRole);

        ConsoleReport report = (await alice.Http.GetFromJsonAsync<ConsoleReport>("/console/api/report"))!;
        ConsoleReport asked = (await alice.Http.GetFromJsonAsync<ConsoleReport>("/console/api/report?tenant=t2"))!;
        ConsoleReplay replay = (await alice.Http.GetFromJsonAsync<ConsoleReplay>("/console/api/replay?candidate=Transfers%20run%20alone"))!;
        using HttpResponseMessage noTenant = await host.Client("mallory", ApprovalTestHost.ApproverRole).Http.GetAsync("/console/api/report");

        Assert.Equal(1, report.Seen);
        Assert.Equal(["Rejected", "1"], Row(report.Charts[2], "Rejected"));
        Assert.Equal(0, asked.Seen); // a tenant's scope never widens
        Assert.Equal((1L, 1L), (replay.Calls, replay.FalseApprovalCount));
        Assert.Equal(mine.Id, Assert.Single(replay.FalseApprovals).ApprovalId);
        Assert.Equal(HttpStatusCode.Forbidden, noTenant.StatusCode);
    }

    [Fact]
    public async Task Replay_ListsTheCallsACandidateWouldAllowThatAPersonRejected_AndTheReverseCount()
    {
        await using ApprovalTestHost host = await StartAsync();
        await SeedAsync(host);
        TestUser audrey = host.Client("audrey", Auditor);

        ConsoleReplay names = (await audrey.Http.GetFromJsonAsync<ConsoleReplay>("/console/api/replay"))!;
        ConsoleReplay alone = (await audrey.Http.GetFromJsonAsync<ConsoleReplay>("/console/api/replay?candidate=Transfers%20run%20alone"))!;
        ConsoleReplay ask = (await audrey.Http.GetFromJsonAsync<ConsoleReplay>("/console/api/replay?candidate=Ask%20for%20everything"))!;
        using HttpResponseMessage unknown = await audrey.Http.GetAsync("/console/api/replay?candidate=nope");

        Assert.Equal(["Transfers run alone", "Ask for everything"], names.Candidates);
        Assert.Null(names.Candidate);
        Assert.Equal((5L, 5L, 0L, 1L, 0L), (alone.Calls, alone.WouldAllow, alone.WouldDeny, alone.FalseApprovalCount, alone.NeedlessAskCount));
        Assert.Equal(1.0, alone.AutomationRate, 10);
        Assert.Equal(0.4, alone.RecordedAutomationRate, 10);
        ConsoleReplayRow row = Assert.Single(alone.FalseApprovals);
        Assert.Equal(("transfer", "Rejected", "alice", "Not this payee.", "carol"), (row.ToolName, row.Outcome, row.DecidedBy, row.DecisionReason, row.RequestedBy));
        Assert.Equal(900m, row.Arguments.GetProperty("amount").GetDecimal());
        Assert.Equal((5L, 0L, 1L), (ask.WouldRequireApproval, ask.FalseApprovalCount, ask.NeedlessAskCount));
        Assert.Empty(ask.FalseApprovals);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Replay_ACallTheReaderPolicyHides_IsCountedButNotShown()
    {
        // Each desk reads only the approvals of its own conversations ("east-..." for east).
        await using ApprovalTestHost host = await ApprovalTestHost.StartAsync(
            authorization: o => o.AddPolicy("desk", p => p.RequireAssertion(context =>
                context.Resource is not PendingApproval approval || approval.Context.ConversationId!.StartsWith(context.User.Identity!.Name! + "-", StringComparison.Ordinal))),
            console: o =>
            {
                o.Endpoints.ReaderPolicy = "desk";
                o.ReplayCandidates["Transfers run alone"] = [ApprovalPolicy.Allow("transfer")];
            });
        PendingApproval east = await host.PauseAsync("transfer 150 to bob", conversationId: "east-1");
        PendingApproval west = await host.PauseAsync("transfer 900 to mallory", conversationId: "west-1");
        await host.Approvals.DecideAsync(east.Id, "c-tr", ApprovalDecision.Reject(new Approver("alice"), "No."));
        await host.Approvals.DecideAsync(west.Id, "c-tr", ApprovalDecision.Reject(new Approver("alice"), "West's secret."));

        ConsoleReplay replay = (await host.Client("east", ApprovalTestHost.ApproverRole).Http.GetFromJsonAsync<ConsoleReplay>("/console/api/replay?candidate=Transfers%20run%20alone"))!;

        Assert.Equal(2, replay.FalseApprovalCount);
        Assert.Equal(east.Id, Assert.Single(replay.FalseApprovals).ApprovalId);
        Assert.Equal(1, replay.HiddenFalseApprovals);
    }

    [Fact]
    public async Task Grants_DontAskAgainOnApprove_ThenRevokeFromTheConsole_ChangesTheGrant()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval approval = await host.PauseAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        object grant = new { scope = "user", duration = "PT8H", argumentBounds = new object[] { new { name = "to", equal = "bob" }, new { name = "amount", atMost = 200 } } };

        using HttpResponseMessage decided = await PostAsync(alice, $"/console/api/approvals/{approval.Id}/calls/c-tr/decision",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, grant });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        GrantView listed = Assert.Single((await alice.Http.GetFromJsonAsync<GrantListResult>("/console/api/grants?active=true"))!.Items);
        Assert.Equal(("transfer", "User", "carol", "alice"), (listed.ToolName, listed.Scope, listed.ScopeId, listed.GrantedBy));

        using HttpRequestMessage forged = new(HttpMethod.Post, $"/console/api/grants/{listed.Id}/revoke") { Content = JsonContent.Create(new { reason = "No token." }) };
        using HttpResponseMessage noToken = await alice.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.Null((await host.Approvals.Grants.GetAsync(listed.Id)).RevokedAt);

        using HttpResponseMessage revoked = await PostAsync(alice, $"/console/api/grants/{listed.Id}/revoke", new { reason = "Payee closed the account." });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        ApprovalGrant stored = await host.Approvals.Grants.GetAsync(listed.Id);
        Assert.Equal(("alice", "Payee closed the account."), (stored.RevokedBy, stored.RevokeReason));
        Assert.Empty((await alice.Http.GetFromJsonAsync<GrantListResult>("/console/api/grants?active=true"))!.Items);
    }

    [Fact]
    public async Task Grants_ReadOnlyConsole_ListsThemButRefusesARevokeWith403_AsDoesAReader()
    {
        await using ApprovalTestHost writable = await StartAsync();
        PendingApproval approval = await writable.PauseAsync();
        await GrantAsync(writable, approval);
        string grantId = Assert.Single((await writable.Client("alice", ApprovalTestHost.ApproverRole).Http.GetFromJsonAsync<GrantListResult>("/console/api/grants"))!.Items).Id;
        using HttpResponseMessage byReader = await PostAsync(writable.Client("audrey", Auditor), $"/console/api/grants/{grantId}/revoke", new { reason = "Forged." });
        Assert.Equal(HttpStatusCode.Forbidden, byReader.StatusCode);
        Assert.Null((await writable.Approvals.Grants.GetAsync(grantId)).RevokedAt);

        await using ApprovalTestHost host = await StartAsync(o => o.ReadOnly = true);
        approval = await host.PauseAsync();
        await GrantAsync(host, approval);
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        grantId = Assert.Single((await alice.Http.GetFromJsonAsync<GrantListResult>("/console/api/grants"))!.Items).Id;

        using HttpResponseMessage refused = await PostAsync(alice, $"/console/api/grants/{grantId}/revoke", new { reason = "Forged." });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("read-only", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await host.Approvals.Grants.GetAsync(grantId)).RevokedAt);
    }

    [Fact]
    public async Task Inbox_OlderThan_ListsAndCountsOnlyWhatWasHeldLongEnoughAgo()
    {
        await using ApprovalTestHost host = await StartAsync();
        PendingApproval old = await host.PauseAsync("transfer 150 to bob", conversationId: "conv-1");
        host.Time.Advance(TimeSpan.FromHours(2));
        await host.PauseAsync("transfer 250 to dave", conversationId: "conv-2");
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        ConsoleInboxResult hour = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?olderThan=PT1H"))!;
        ConsoleInboxResult day = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals?olderThan=P1D"))!;
        ConsoleInboxResult any = (await alice.Http.GetFromJsonAsync<ConsoleInboxResult>("/console/api/approvals"))!;
        using HttpResponseMessage bad = await alice.Http.GetAsync("/console/api/approvals?olderThan=an%20hour");
        using HttpResponseMessage negative = await alice.Http.GetAsync("/console/api/approvals?olderThan=-PT1H");

        Assert.Equal(old.Id, Assert.Single(hour.Items).Id);
        Assert.Equal(1, hour.Waiting);
        Assert.Empty(day.Items);
        Assert.Equal(0, day.Waiting);
        Assert.Equal(2, any.Waiting);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (bad.StatusCode, negative.StatusCode));
    }

    [Fact]
    public async Task Console_NewPagesAssets_AreEmbeddedAndFetchNothingFromElsewhere()
    {
        await using ApprovalTestHost host = await StartAsync();
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole);

        foreach (string asset in new[] { "pages.js", "report.js", "charts.js", "replay.js", "grants.js", "grant-form.js" })
        {
            using HttpResponseMessage response = await alice.Http.GetAsync($"/console/assets/{asset}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("innerHTML", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SvgChart_TextFromTheModel_IsEscapedAsText()
    {
        const string Hostile = "<script>alert(1)</script>\" onload=\"x";

        string svg = SvgChart.Bars("t", "Title", "Summary", [new SvgChart.Row(Hostile, [new SvgChart.Bar(1, "1", "automated")])]);

        XElement parsed = XElement.Parse(svg);
        Assert.DoesNotContain("<script", svg, StringComparison.Ordinal);
        Assert.DoesNotContain(parsed.Descendants(), e => e.Name.LocalName == "script" || e.Attribute("onload") is not null);
        Assert.Contains(parsed.Descendants(), e => e.Attribute("data-label")?.Value == Hostile);
    }

    private static async Task GrantAsync(ApprovalTestHost host, PendingApproval approval)
    {
        TestUser alice = host.Client("alice", ApprovalTestHost.ApproverRole, GranterRole);
        using HttpResponseMessage decided = await alice.DecideAsync(approval.Id, "c-tr",
            new { decision = "approve", fingerprint = approval.Calls[0].Fingerprint, grant = new { scope = "user", duration = "PT8H" } });
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostAsync(TestUser user, string path, object body)
    {
        using HttpRequestMessage request = new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(user.HeaderName, await user.TokenAsync());
        return await user.Http.SendAsync(request);
    }
}
