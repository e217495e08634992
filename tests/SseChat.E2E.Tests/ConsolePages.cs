using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SseChat.E2E.Tests;

/// <summary>The steps the console's browser tests share: sign a user in to the sample, open the console, send a chat message.</summary>
internal static class ConsolePages
{
    /// <summary>A new browser context signed in as <paramref name="name"/> (the sample's demo sign-in), and a page in it.</summary>
    public static async Task<IPage> SignInAsync(IBrowser browser, SseChatServer server, string name, bool approver, bool auditor, float timeout)
    {
        IBrowserContext context = await browser.NewContextAsync();
        context.SetDefaultTimeout(timeout);
        IAPIResponse response = await context.APIRequest.PostAsync($"{server.BaseUrl}/account/signin", new APIRequestContextOptions
        {
            DataObject = new { name, approver, auditor },
        });
        Assert.True(response.Ok, $"sign-in failed: {response.Status}");
        return await context.NewPageAsync();
    }

    /// <summary>Signs in and opens the console at /approvals, once its page says it is ready.</summary>
    public static async Task<IPage> OpenConsoleAsync(IBrowser browser, SseChatServer server, string name, bool approver, bool auditor, float timeout)
    {
        IPage page = await SignInAsync(browser, server, name, approver, auditor, timeout);
        await page.GotoAsync($"{server.BaseUrl}/approvals");
        await Expect(page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        return page;
    }

    /// <summary>Types <paramref name="text"/> into the chat once its box is enabled, and sends it.</summary>
    public static async Task SendAsync(IPage page, string text)
    {
        await Expect(page.Locator("#message")).ToBeEnabledAsync();
        await page.Locator("#message").FillAsync(text);
        await page.Locator("#send").ClickAsync();
    }
}
