using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SseChat.E2E.Tests;

/// <summary>
/// Every refusal of a decision made in the console (the SseChat sample's, in a real browser, against the real server) is a clear
/// message on the page: approving one's own request, a call someone else decided meanwhile, a deadline that passed while the page
/// was open, and a call that changed in the store since the page read it. Each time the controls follow the new state and nothing ran.
/// (A user without the right, and a policy's refusal of edited arguments, are in <see cref="ApprovalConsoleBrowserTests"/>.)
/// </summary>
public sealed partial class ApprovalConsoleRefusalBrowserTests : IClassFixture<BrowserFixture>
{
    private const float Timeout = 60_000;
    private readonly BrowserFixture _browser;

    public ApprovalConsoleRefusalBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
        SetDefaultExpectTimeout(Timeout);
    }

    [BrowserFact]
    public async Task Console_RequesterApprovesTheirOwnCall_ThePageSaysSomeoneElseMust_NoControls_NothingRuns()
    {
        // Self-approval prevented, as a bank configures it (the sample reads it from the "HumanInLoop" settings).
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string> { ["HumanInLoop__PreventSelfApproval"] = "true" });
        IPage chat = await SignInAsync(server, "tina", approver: true);
        await chat.GotoAsync(server.BaseUrl);
        await SendAsync(chat, "transfer $130 to gus");
        await Expect(chat.Locator(".approval-card")).ToBeVisibleAsync();

        // tina is a teller too: the console offers her the call, and she tries to approve it.
        IPage tina = await OpenConsoleAsync(server, "tina");
        await tina.Locator("#items button.item").ClickAsync();
        ILocator call = tina.Locator(".call");
        await Expect(call.Locator(".json-number")).ToHaveTextAsync("130");
        string approvalId = (await tina.Locator(".approval").GetAttributeAsync("data-approval-id"))!;
        await call.Locator("button.approve").ClickAsync();

        await Expect(tina.GetByRole(AriaRole.Alert).Filter(new() { HasText = "yourself" })).ToHaveTextAsync(
            "You asked for this call yourself, so someone else must decide it: this server does not let anyone approve their own request. Nothing was recorded.");
        await Expect(call.Locator("button.approve, button.reject, button.respond, textarea")).ToHaveCountAsync(0);
        await Expect(call.Locator(".no-controls")).ToHaveTextAsync("Not yours to decide: see why above. Another approver can decide it.");
        await Expect(tina.Locator(".facts .status")).ToHaveAttributeAsync("data-status", "Pending");
        await AssertNoRawErrorAsync(tina);

        JsonElement stored = await ReadApprovalAsync(tina, approvalId);
        Assert.Equal("Pending", stored.GetProperty("status").GetString());
        Assert.Equal("AwaitingApproval", stored.GetProperty("calls")[0].GetProperty("decision").GetString());
        Assert.Equal(0, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_AnotherApproverRejectsWhileThePageIsOpen_ApproveSaysWhoDecidedWhat_NothingRuns()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $160 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        // The teller reads the call and writes a comment (the page does not redraw a call under the hands of someone writing in it).
        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await Expect(call.Locator(".json-number")).ToHaveTextAsync("160");
        string approvalId = (await teller.Locator(".approval").GetAttributeAsync("data-approval-id"))!;
        await call.Locator("textarea.reason").FillAsync("Checked the recipient.");

        // Meanwhile bob, another teller, rejects it in his own console page.
        IPage bob = await OpenConsoleAsync(server, "bob");
        await bob.Locator("#items button.item").ClickAsync();
        await bob.Locator(".call textarea.reason").FillAsync("dave's account is under review");
        await bob.Locator(".call button.reject").ClickAsync();
        await Expect(bob.Locator(".call .badge")).ToHaveTextAsync("Rejected");

        // The teller's page is told by server push; then the teller clicks Approve on what they read.
        await Expect(teller.Locator("#notice")).ToContainTextAsync("This approval changed since you opened it");
        await call.Locator("button.approve").ClickAsync();

        await Expect(teller.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Someone else" })).ToHaveTextAsync(
            new Regex(@"^Someone else decided this call while you were reading it: rejected by bob at .+\. Your decision was not recorded\.$"));
        await Expect(teller.Locator("#notice")).ToBeHiddenAsync();
        await Expect(call.Locator(".badge")).ToHaveTextAsync("Rejected");
        await Expect(call.Locator(".decided")).ToHaveTextAsync("Decided by bob: dave's account is under review");
        await Expect(call.Locator("button.approve, button.reject, textarea")).ToHaveCountAsync(0);
        await AssertNoRawErrorAsync(teller);

        JsonElement stored = await ReadApprovalAsync(teller, approvalId);
        Assert.Equal("Rejected", stored.GetProperty("calls")[0].GetProperty("decision").GetString());
        Assert.Equal("bob", stored.GetProperty("calls")[0].GetProperty("decidedBy").GetString());
        Assert.Equal(0, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_TheDeadlinePassesWhileThePageIsOpen_ApproveSaysItExpired_NothingRuns()
    {
        // A short deadline from the sample's settings: the page is open on the approval when it passes (no clock is faked in a real server).
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string> { ["HumanInLoop__DefaultExpiration"] = "00:00:15" });
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $170 to erin");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await Expect(call.Locator(".json-number")).ToHaveTextAsync("170");
        string approvalId = (await teller.Locator(".approval").GetAttributeAsync("data-approval-id"))!;
        await call.Locator("textarea.reason").FillAsync("Checked the recipient.");

        // The page's own countdown reaches the deadline; then the teller clicks Approve.
        await Expect(teller.Locator(".time-left")).ToHaveTextAsync("expired", new() { Timeout = 30_000 });
        await call.Locator("button.approve").ClickAsync();

        await Expect(teller.GetByRole(AriaRole.Alert).Filter(new() { HasText = "expired" })).ToHaveTextAsync(
            new Regex(@"^This approval expired at .+, before your decision reached the server\. Nothing ran, and your decision was not recorded\.$"));
        await Expect(teller.Locator(".facts .status")).ToHaveAttributeAsync("data-status", "Expired");
        await Expect(call.Locator("button.approve, button.reject, textarea")).ToHaveCountAsync(0);
        await AssertNoRawErrorAsync(teller);

        JsonElement stored = await ReadApprovalAsync(teller, approvalId);
        Assert.Equal("Expired", stored.GetProperty("status").GetString());
        Assert.Equal(0, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_TheCallChangesInTheStoreAfterThePageReadIt_ApproveSaysItChanged_ShowsItAsStored_NothingRuns()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $120 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await Expect(call.Locator(".arguments [data-key=amount] .json-number")).ToHaveTextAsync("120");
        string approvalId = (await teller.Locator(".approval").GetAttributeAsync("data-approval-id"))!;

        // While the page shows $120 to dave, the held call is replaced in the database: $9000 to mallory, with its own fingerprint.
        // The library never rewrites a held call, so this is how a call "changes since it was read": out of band.
        server.RewriteHeldCall(approvalId, stored =>
        {
            stored["arguments"] = new System.Text.Json.Nodes.JsonObject { ["to"] = "mallory", ["amount"] = 9000 };
            stored["fingerprint"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("mallory 9000")));
        });
        await call.Locator("button.approve").ClickAsync();

        await Expect(teller.GetByRole(AriaRole.Alert).Filter(new() { HasText = "changed" })).ToHaveTextAsync(
            "This call changed since you opened it: what is stored now is not the call you were shown, so your decision was not recorded. It is shown again below as it is stored now; read it again before you decide.");
        await Expect(call.Locator(".arguments [data-key=amount] .json-number")).ToHaveTextAsync("9000");
        await Expect(call.Locator(".arguments [data-key=to] .json-string")).ToHaveTextAsync("\"mallory\"");
        await Expect(call.Locator("button.approve")).ToBeEnabledAsync();
        await Expect(teller.Locator(".facts .status")).ToHaveAttributeAsync("data-status", "Pending");
        await AssertNoRawErrorAsync(teller);

        JsonElement held = await ReadApprovalAsync(teller, approvalId);
        Assert.Equal("Pending", held.GetProperty("status").GetString());
        Assert.Equal("AwaitingApproval", held.GetProperty("calls")[0].GetProperty("decision").GetString());
        Assert.Equal(0, server.CountTransfers());
    }

    /// <summary>The approval as the console's JSON endpoint answers it now, read in <paramref name="page"/>'s session.</summary>
    private static Task<JsonElement> ReadApprovalAsync(IPage page, string approvalId) =>
        page.EvaluateAsync<JsonElement>("async (id) => (await fetch(`/approvals/api/approvals/${id}`)).json()", approvalId);

    /// <summary>The call view is a page of words: no stack trace, no exception name, no problem JSON, not blank.</summary>
    private static async Task AssertNoRawErrorAsync(IPage page)
    {
        string text = await page.Locator("#detail").InnerTextAsync();
        Assert.DoesNotMatch(RawError(), text);
        await Expect(page.Locator("#detail .approval .facts")).ToBeVisibleAsync();
    }

    [GeneratedRegex(@"Exception|\bat [A-Z][\w.]+\(|""(type|title|detail|status)""\s*:|humaninloop\.dev/problems|HTTP \d{3}")]
    private static partial Regex RawError();

    private Task<IPage> SignInAsync(SseChatServer server, string name, bool approver) =>
        ConsolePages.SignInAsync(_browser.Browser, server, name, approver, auditor: false, Timeout);

    private Task<IPage> OpenConsoleAsync(SseChatServer server, string name) =>
        ConsolePages.OpenConsoleAsync(_browser.Browser, server, name, approver: true, auditor: false, Timeout);

    private static Task SendAsync(IPage page, string text) => ConsolePages.SendAsync(page, text);
}
