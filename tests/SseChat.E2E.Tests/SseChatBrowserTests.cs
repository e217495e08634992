using System.Text.RegularExpressions;
using HumanInLoop.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SseChat.E2E.Tests;

/// <summary>The sample in a real browser: pause, approval card, click, resumed answer; reject; a restart between pause and click; the inbox.</summary>
public sealed class SseChatBrowserTests : IClassFixture<BrowserFixture>
{
    private const float Timeout = 60_000;
    private readonly BrowserFixture _browser;

    public SseChatBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
        SetDefaultExpectTimeout(Timeout);
    }

    public static string ArtifactsDirectory
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "artifacts");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    [BrowserFact]
    public async Task Transfer_Approve_ShowsTheCardThenTheFinalAnswerAndNewBalance()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage page = await OpenChatAsync(server, "teller");

        await SendAsync(page, "transfer $150 to bob");
        ILocator card = page.Locator(".approval-card");
        await Expect(card).ToBeVisibleAsync();
        await Expect(card).ToContainTextAsync("transfer");
        await Expect(card).ToContainTextAsync("amount: $150.00");
        await Expect(card).ToContainTextAsync("Transfers over $100 need a teller's approval.");
        await card.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, "approval-card.png") });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, "chat-paused.png") });
        Assert.Equal(0, server.CountTransfers());

        await card.Locator("button.approve").ClickAsync();

        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $150.00 to bob. Your balance is $850.00.");
        await Expect(card).ToHaveClassAsync(new Regex("resolved"));
        await Expect(page.Locator("#message")).ToBeEnabledAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, "chat-approved.png") });
        Assert.Equal(1, server.CountTransfers());

        // The conversation goes on in the same page: the balance is read from the bank.
        await SendAsync(page, "what is my balance?");
        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("Your balance is $850.00.");
        Assert.Equal(1, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Transfer_DecisionLostOnTheNetworkOnce_PageSendsItAgain_TransferRunsOnce()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage page = await OpenChatAsync(server, "teller");
        await SendAsync(page, "transfer $130 to erin");
        ILocator card = page.Locator(".approval-card");
        await Expect(card.Locator("button.approve")).ToBeVisibleAsync();

        // The first decision request fails without an answer (as on a connection to a server that has just restarted).
        int aborted = 0;
        await page.RouteAsync("**/decision", async route =>
        {
            if (Interlocked.Increment(ref aborted) == 1)
            {
                await route.AbortAsync("connectionreset");
                return;
            }

            await route.ContinueAsync();
        });
        await card.Locator("button.approve").ClickAsync();

        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $130.00 to erin. Your balance is $870.00.");
        Assert.Equal(2, Volatile.Read(ref aborted));
        Assert.Equal(1, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Transfer_Reject_ShowsTheRefusalAndMovesNoMoney()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage page = await OpenChatAsync(server, "teller");

        await SendAsync(page, "transfer $500 to mallory");
        ILocator card = page.Locator(".approval-card");
        await Expect(card).ToBeVisibleAsync();
        await card.Locator("input.reject-reason").FillAsync("Looks like fraud.");
        await card.Locator("button.reject").ClickAsync();

        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("I did not make the transfer: the teller rejected it. Reason: Looks like fraud.");
        Assert.Equal(0, server.CountTransfers());
        await SendAsync(page, "balance please");
        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("Your balance is $1,000.00.");
    }

    [BrowserFact]
    public async Task Transfer_ServerRestartsBetweenPauseAndClick_TheClickStillResumes()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage page = await OpenChatAsync(server, "teller");
        await SendAsync(page, "transfer $250 to carol");
        ILocator card = page.Locator(".approval-card");
        await Expect(card.Locator("button.approve")).ToBeVisibleAsync();

        // Nothing of the conversation is in the server's memory: stop it, start a new process on the same port and file.
        await server.RestartAsync();
        await card.Locator("button.approve").ClickAsync();

        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $250.00 to carol. Your balance is $750.00.");
        Assert.Equal(1, server.CountTransfers());

        // A reload after the restart shows the same conversation, read from the store. The answer's text arrives before the
        // server saves the conversation; "done" comes after the save (reloading before it raced the save, and lost once in a
        // soak: the reload showed the conversation without the answer).
        await Expect(page.Locator("#log .done")).ToHaveCountAsync(1);
        await page.ReloadAsync();
        await Expect(page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#log .msg.assistant").Last).ToContainTextAsync("Your balance is $750.00.");
    }

    [BrowserFact]
    public async Task Inbox_AnotherSessionsPendingTransfer_IsApprovedFromTheApprovalsPage()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await OpenChatAsync(server, "carol", approver: false);
        await SendAsync(customer, "transfer $120 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        IPage teller = await OpenChatAsync(server, "teller");
        await teller.GotoAsync($"{server.BaseUrl}/approvals.html");
        ILocator card = teller.Locator(".approval-card");
        await Expect(card).ToHaveCountAsync(1);
        await Expect(card).ToContainTextAsync("requested by carol");
        await Expect(card).ToContainTextAsync("transfer $120 to dave");
        await card.Locator("button.approve").ClickAsync();

        await Expect(card.Locator(".resumed-answer")).ToContainTextAsync("Transferred $120.00 to dave. Your balance is $880.00.");
        Assert.Equal(1, server.CountTransfers());

        // The customer's conversation was saved by the resume (before its stream ended): a reload shows the answer.
        await Expect(card.Locator(".resumed-answer.done")).ToHaveCountAsync(1);
        await customer.ReloadAsync();
        await Expect(customer.Locator("#log .msg.assistant").Last).ToContainTextAsync("Your balance is $880.00.");
    }

    [BrowserFact]
    public async Task Transfer_AmountAJavaScriptNumberWouldRound_CardShowsTheExactAmountThatWouldRun()
    {
        // A model (over the OpenAI wire) asks for an amount a JavaScript number cannot hold: parsed the usual way, the card
        // would show $100.00 for a call that moves 100.0000000000000001.
        await using FakeOpenAIEndpoint endpoint = new(_ => FakeOpenAIEndpoint.ToolCall("call_exact_1", "transfer", """{"to":"bob","amount":100.0000000000000001}"""));
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string>
        {
            ["HUMANINLOOP_OPENAI_ENDPOINT"] = endpoint.Url,
            ["HUMANINLOOP_OPENAI_MODEL"] = "test-model",
        });
        IPage page = await OpenChatAsync(server, "teller");

        await SendAsync(page, "send bob a hundred");
        ILocator card = page.Locator(".approval-card");
        await Expect(card).ToContainTextAsync("amount: $100.0000000000000001");

        // The same card read back from the approval endpoint after a reload (parsed apart from the stream).
        await page.ReloadAsync();
        await Expect(page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        await Expect(page.Locator(".approval-card")).ToContainTextAsync("amount: $100.0000000000000001");
        Assert.Equal(0, server.CountTransfers());
    }

    private async Task<IPage> OpenChatAsync(SseChatServer server, string name, bool approver = true)
    {
        IBrowserContext context = await _browser.Browser.NewContextAsync();
        context.SetDefaultTimeout(Timeout);
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(server.BaseUrl);
        await Expect(page.Locator("#signin")).ToBeVisibleAsync();
        await page.Locator("#name").FillAsync(name);
        await page.Locator("#approver").SetCheckedAsync(approver);
        await page.Locator("#signin-button").ClickAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync(name);
        await Expect(page.Locator("#message")).ToBeEnabledAsync();
        return page;
    }

    private static async Task SendAsync(IPage page, string text)
    {
        await page.Locator("#message").FillAsync(text);
        await page.Locator("#send").ClickAsync();
    }
}
