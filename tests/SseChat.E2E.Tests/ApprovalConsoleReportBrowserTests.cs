using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SseChat.E2E.Tests;

/// <summary>
/// The console's report, grants and "don't ask again" in a real browser (the SseChat sample): a teller approves a transfer with a
/// standing grant, revokes it from the grants page, and reads the automation report as charts whose labels and values are the history's.
/// </summary>
public sealed class ApprovalConsoleReportBrowserTests : IClassFixture<BrowserFixture>
{
    private const float Timeout = 60_000;
    private readonly BrowserFixture _browser;

    public ApprovalConsoleReportBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
        SetDefaultExpectTimeout(Timeout);
    }

    [BrowserFact]
    public async Task Console_ApproveWithAGrant_RevokeItFromTheGrantsPage_AndReadTheReport()
    {
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string> { ["HumanInLoop__Granters__0"] = "teller" });
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "what is my balance");
        await Expect(customer.Locator("#log .msg.assistant").Last).ToContainTextAsync("Your balance is");
        await SendAsync(customer, "transfer $120 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        // "Don't ask again": with the approval, a grant for carol's transfers to dave up to $200 for 8 hours.
        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await call.Locator("details.grant > summary").ClickAsync();
        await call.Locator("input.grant-on").CheckAsync();
        await Expect(call.Locator("input.grant-equal")).ToBeCheckedAsync();
        await call.GetByLabel("amount at most (empty: any)").FillAsync("200");
        await call.Locator("button.approve").ClickAsync();
        await Expect(teller.Locator(".resumed-answer.done")).ToHaveCountAsync(1);

        // The grant lets the next such transfer run without a person.
        await customer.ReloadAsync();
        await Expect(customer.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        await SendAsync(customer, "transfer $130 to dave");
        await Expect(customer.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $130.00 to dave");
        Assert.Equal(2, server.CountTransfers());

        await teller.GotoAsync($"{server.BaseUrl}/approvals#/grants");
        ILocator row = teller.Locator(".grants-table tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("transfer");
        await Expect(row).ToContainTextAsync("User: carol");
        await Expect(row.Locator(".bounds")).ToContainTextAsync("to = \"dave\"");
        await Expect(row.Locator(".bounds")).ToContainTextAsync("amount ≤ 200");
        await Expect(row.Locator(".grant-state")).ToHaveTextAsync("In force");
        await Screenshots.SaveAsync(teller, "console-grants.png");

        await row.Locator("button.revoke").ClickAsync();
        await Expect(row.Locator(".revoke-status")).ToHaveTextAsync("Give a reason to revoke.");
        await row.GetByLabel("Reason to revoke the grant on transfer").FillAsync("Dave's account is under review.");
        await row.Locator("button.revoke").ClickAsync();
        await Expect(teller.Locator(".grants-table tbody tr")).ToHaveCountAsync(0); // only grants in force are listed
        JsonElement grants = await teller.EvaluateAsync<JsonElement>("async () => (await fetch('/approvals/api/grants')).json()");
        JsonElement revoked = grants.GetProperty("items")[0];
        Assert.Equal("teller", revoked.GetProperty("revokedBy").GetString());
        Assert.Equal("Dave's account is under review.", revoked.GetProperty("revokeReason").GetString());

        // After the revoke the same transfer waits for a person again.
        await SendAsync(customer, "transfer $140 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        // The report: 4 calls (a balance allowed, a transfer approved, one allowed by the grant, one waiting): 50% without a person.
        await teller.GotoAsync($"{server.BaseUrl}/approvals#/report");
        await Expect(teller.Locator("#page-body[data-loaded=true]")).ToHaveCountAsync(1);
        await Expect(teller.Locator(".headline")).ToContainTextAsync("4 calls, 50.0% decided without a person");
        await Expect(teller.Locator("figure.chart-figure")).ToHaveCountAsync(5);
        ILocator byTool = teller.Locator("figure[data-chart=automation-by-tool]");
        await Expect(byTool.Locator("svg.chart title").First).ToHaveTextAsync("Automation rate per tool");
        await Expect(byTool.Locator("svg g[data-label=transfer] text.chart-value")).ToHaveTextAsync("33.3% (1 of 3)");
        await Expect(byTool.Locator("svg g[data-label=check_balance] text.chart-value")).ToHaveTextAsync("100% (1 of 1)");
        ILocator outcomes = teller.Locator("figure[data-chart=decisions-by-outcome]");
        await Expect(outcomes.Locator("svg g[data-label=Approved] text.chart-value")).ToHaveTextAsync("1");
        await Expect(outcomes.Locator("svg g[data-label='Still waiting'] text.chart-value")).ToHaveTextAsync("1");
        await Expect(teller.Locator("figure[data-chart=automation-over-time] svg g.chart-column")).ToHaveCountAsync(30);
        await Expect(teller.Locator("figure[data-chart=time-to-decision] svg g[data-label='All tools'] rect")).ToHaveCountAsync(2);

        // The table equivalent, for screen readers and the keyboard.
        await byTool.Locator("details.chart-data > summary").ClickAsync();
        await Expect(byTool.Locator("table.chart-table tbody tr", new() { HasText = "transfer" })).ToContainTextAsync("33.3%");
        Assert.True(await teller.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await Screenshots.SaveAsync(teller, "console-report.png");

        // At a phone's width the charts stack in one column and scale down; nothing is wider than the screen.
        await teller.SetViewportSizeAsync(390, 844);
        Assert.True(await teller.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        Assert.True(await byTool.Locator("svg.chart").EvaluateAsync<bool>("svg => svg.getBoundingClientRect().width <= window.innerWidth"));
    }

    [BrowserFact]
    public async Task Console_Replay_ListsTheRejectedTransferThatACandidateWouldHaveLetThrough()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $300 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        // A teller rejects the $300 transfer with a reason; the sample's candidate ("up to $500 run alone") would have let it run.
        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await call.GetByRole(AriaRole.Textbox, new() { Name = "Reason (required to reject; a comment otherwise)" }).FillAsync("Dave is not a known payee.");
        await call.Locator("button.reject").ClickAsync();
        await Expect(teller.Locator(".resumed-answer.done")).ToHaveCountAsync(1);
        Assert.Equal(0, server.CountTransfers());

        await teller.GotoAsync($"{server.BaseUrl}/approvals#/replay");
        ILocator candidate = teller.Locator("select[name=candidate]");
        await Expect(candidate).ToHaveValueAsync("Transfers up to $500 run alone");
        await teller.GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();
        await Expect(teller.Locator(".replay-counts .false-approvals")).ToHaveTextAsync("1");
        ILocator row = teller.Locator(".replay-table tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("transfer");
        await Expect(row).ToContainTextAsync("carol");
        await Expect(row).ToContainTextAsync("Dave is not a known payee.");
        await Expect(row.Locator("td.arguments")).ToContainTextAsync("300");
        Assert.Equal(0, server.CountTransfers()); // a replay runs nothing
        await Screenshots.SaveAsync(teller, "console-replay.png");
    }

    private Task<IPage> SignInAsync(SseChatServer server, string name, bool approver, bool auditor = false) =>
        ConsolePages.SignInAsync(_browser.Browser, server, name, approver, auditor, Timeout);

    private Task<IPage> OpenConsoleAsync(SseChatServer server, string name, bool approver = true, bool auditor = false) =>
        ConsolePages.OpenConsoleAsync(_browser.Browser, server, name, approver, auditor, Timeout);

    private static Task SendAsync(IPage page, string text) => ConsolePages.SendAsync(page, text);
}
