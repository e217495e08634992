using System.Text.Json;
using System.Text.RegularExpressions;
using HumanInLoop.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SseChat.E2E.Tests;

/// <summary>
/// The approver's console (<c>app.MapApprovalConsole("/approvals")</c>, mounted by the SseChat sample) in a real browser: approve a held
/// transfer and the customer's chat gets the answer; an edited amount runs as edited; an auditor sees the call but no controls and
/// a forged decision gets 403; a 28-digit decimal shows exactly; a new approval appears without a reload.
/// </summary>
public sealed class ApprovalConsoleBrowserTests : IClassFixture<BrowserFixture>
{
    private const float Timeout = 60_000;
    private readonly BrowserFixture _browser;

    public ApprovalConsoleBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
        SetDefaultExpectTimeout(Timeout);
    }

    [BrowserFact]
    public async Task Console_TellerApprovesAHeldTransfer_TheCustomersChatGetsTheAnswer()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $120 to dave");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();
        await Expect(customer.Locator(".approval-card .call-waiting")).ToHaveTextAsync("Waiting for a teller's decision.");
        await Expect(customer.Locator("body[data-listening=true]")).ToHaveCountAsync(1);
        await customer.EvaluateAsync("() => { window.sameDocument = 'yes'; }");

        IPage teller = await OpenConsoleAsync(server, "teller");
        ILocator item = teller.Locator("#items button.item");
        await Expect(item).ToHaveCountAsync(1);
        await Expect(item).ToContainTextAsync("transfer");
        await Expect(item).ToContainTextAsync("by carol");
        await Expect(teller.Locator("#waiting")).ToHaveTextAsync("1 waiting");
        await Screenshots.SaveAsync(teller, "console-inbox.png");

        // With the keyboard alone: the inbox item and the decision are buttons, the call view takes the focus when it opens.
        await item.FocusAsync();
        await teller.Keyboard.PressAsync("Enter");
        await Expect(teller.Locator("#detail")).ToBeFocusedAsync();
        ILocator call = teller.Locator(".call");
        await Expect(call).ToContainTextAsync("Transfers over $100 need a teller's approval.");
        await Expect(call.Locator(".json-number")).ToHaveTextAsync("120");
        await Expect(call.Locator(".signoffs")).ToContainTextAsync("0 of 1 sign-off; still needed: 1 from approver");
        await Expect(teller.Locator(".excerpt")).ToContainTextAsync("transfer $120 to dave");
        await Expect(teller.Locator(".time-left")).ToContainTextAsync("left");
        await Screenshots.SaveAsync(teller, "console-call.png");

        await call.Locator("button.approve").FocusAsync();
        await teller.Keyboard.PressAsync("Enter");
        await Expect(teller.Locator(".resumed-answer")).ToContainTextAsync("Transferred $120.00 to dave. Your balance is $880.00.");
        await Expect(teller.Locator(".resumed-answer.done")).ToHaveCountAsync(1);
        Assert.Equal(1, server.CountTransfers());

        // The audit trail, its hash chain verified as it was read.
        await teller.Locator("details.audit > summary").ClickAsync();
        await Expect(teller.Locator(".chain-verified")).ToContainTextAsync("Chain verified");
        await Expect(teller.Locator(".audit-table tr[data-event=Created]")).ToHaveCountAsync(1);
        await Screenshots.SaveAsync(teller, "console-audit.png");

        // The customer's waiting chat, never reloaded, was told by server push and shows the answer; the composer is free again.
        await Expect(customer.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $120.00 to dave. Your balance is $880.00.");
        await Expect(customer.Locator(".approval-card")).ToHaveCountAsync(0);
        await Expect(customer.Locator("#message")).ToBeEnabledAsync();
        Assert.Equal("yes", await customer.EvaluateAsync<string>("() => window.sameDocument"));
        Assert.Equal(1, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_TellerEditsTheAmount_TheEditedCallRuns()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $300 to bob");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();
        await Expect(customer.Locator("body[data-listening=true]")).ToHaveCountAsync(1);

        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await call.Locator("details.edit > summary").ClickAsync();

        // A form generated from the tool's JSON schema (the sample's resume target gives the tools): checked in the browser first.
        ILocator amount = call.GetByLabel("amount (required)");
        await Expect(amount).ToHaveValueAsync("300");
        await amount.FillAsync("150 dollars");
        await call.Locator("button.approve-form").ClickAsync();
        await Expect(call.Locator("[data-field=amount] .field-error")).ToContainTextAsync("Write a number");
        await Expect(amount).ToBeFocusedAsync();
        await Expect(teller.Locator(".facts .status")).ToHaveAttributeAsync("data-status", "Pending");
        await Expect(teller.Locator(".facts .status")).ToHaveTextAsync("Waiting for a decision");

        // A policy's refusal of the edited arguments that names one of them is shown beside that field, and nothing is decided.
        ILocator to = call.GetByLabel("to (required)");
        await amount.FillAsync("150");
        await to.FillAsync("oscar");
        await call.Locator("button.approve-form").ClickAsync();
        await Expect(call.Locator("[data-field=to] .field-error")).ToContainTextAsync("block list");
        await Expect(to).ToBeFocusedAsync();
        await Expect(call.Locator("[data-field=amount] .field-error")).ToHaveTextAsync("");
        await Expect(teller.Locator(".facts .status")).ToHaveAttributeAsync("data-status", "Pending");

        await to.FillAsync("bob");
        await call.Locator("button.approve-form").ClickAsync();

        await Expect(teller.Locator(".resumed-answer")).ToContainTextAsync("Transferred $150.00 to bob. Your balance is $850.00.");
        await Expect(teller.Locator(".facts .status")).ToHaveTextAsync("Done: resumed, the conversation moved on");
        await Expect(teller.Locator(".call .badge")).ToHaveTextAsync("Approved");
        await Expect(teller.Locator("table.diff")).ToContainTextAsync("amount");
        await Expect(teller.Locator("table.diff tbody tr")).ToHaveCountAsync(1);
        await Expect(teller.Locator("table.diff")).ToContainTextAsync("300");
        await Screenshots.SaveAsync(teller, "console-edited.png");
        Assert.Equal(1, server.CountTransfers());
        Assert.Equal(150m, server.LastTransferAmount());

        // The customer's chat, never reloaded, shows the answer of the edited call: the ledger moved $150, not the $300 asked for.
        await Expect(customer.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $150.00 to bob. Your balance is $850.00.");
        Assert.Equal(150m, server.LastTransferAmount());
    }

    [BrowserFact]
    public async Task Console_ResumesWhileTheRequesterClicksResume_OneTransferOneAnswerNoErrorOnEitherPage()
    {
        // Slow words keep the console's resume running (claimed) long enough for the requester's click to meet it.
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string> { ["SseChat__WordDelayMs"] = "500" });
        IPage requester = await SignInAsync(server, "tina", approver: true);
        await requester.GotoAsync(server.BaseUrl);
        await SendAsync(requester, "transfer $140 to gus");
        ILocator card = requester.Locator(".approval-card");
        await Expect(card.Locator("button.approve")).ToBeVisibleAsync();
        await Expect(requester.Locator("body[data-listening=true]")).ToHaveCountAsync(1);

        // Another teller decides in the console (its API, without resuming): the requester's page hears of it and offers the resume.
        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        string approvalId = (await teller.Locator(".approval").GetAttributeAsync("data-approval-id"))!;
        int decided = await teller.EvaluateAsync<int>(
            """
            async (id) => {
              const token = await (await fetch('/approvals/api/antiforgery')).json();
              const call = (await (await fetch(`/approvals/api/approvals/${id}`)).json()).calls[0];
              const headers = { 'Content-Type': 'application/json', [token.headerName]: token.token };
              const body = JSON.stringify({ decision: 'approve', fingerprint: call.fingerprint });
              return (await fetch(`/approvals/api/approvals/${id}/calls/${call.callId}/decision`, { method: 'POST', headers, body })).status;
            }
            """, approvalId);
        Assert.Equal(200, decided);
        ILocator resume = requester.Locator(".approval-card button.resume");
        await Expect(resume).ToBeVisibleAsync();

        // The console resumes first; while its answer streams, the requester clicks Resume: the claim refuses the second resumer.
        await teller.Locator("button.resume").ClickAsync();
        await Expect(teller.Locator(".resumed-answer")).ToContainTextAsync("Transferred");

        // The requester's page watches the console's answer come in (a bubble marked live), before it is saved.
        await Expect(requester.Locator("#log .msg.assistant.live")).ToContainTextAsync("Transferred");
        // The page says so, then draws the conversation again as it reads it (the card may move on to "running it now" before a
        // poll of the locator sees the words on a loaded machine): every text the status takes is captured as it is set.
        await requester.EvaluateAsync("""
            () => {
              window.statusTexts = [];
              new MutationObserver(() => document.querySelectorAll('#log .approval-status').forEach(s => window.statusTexts.push(s.textContent)))
                .observe(document.getElementById('log'), { subtree: true, childList: true, characterData: true });
            }
            """);
        await resume.ClickAsync();
        await requester.WaitForFunctionAsync(
            "() => window.statusTexts.includes('Already resumed elsewhere; the answer appears here when it is ready.')", null, new() { Timeout = Timeout });

        // One transfer; the console shows its answer; the requester's chat shows it once, with no error anywhere.
        await Expect(teller.Locator(".resumed-answer.done")).ToHaveCountAsync(1);
        await Expect(requester.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $140.00 to gus. Your balance is $860.00.");
        await Expect(requester.Locator("#log .msg.assistant", new() { HasText = "Transferred" })).ToHaveCountAsync(1);
        await Expect(requester.Locator("#log .error, .approval-card.failed")).ToHaveCountAsync(0);
        await Expect(teller.Locator(".resumed-answer.refused")).ToHaveCountAsync(0);
        Assert.Equal(1, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_AWholeApprovalWithTheKeyboardAlone_AtAPhonesWidth_LabelledForScreenReaders()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $110 to hana");
        await Expect(customer.Locator("body[data-listening=true]")).ToHaveCountAsync(1);

        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.SetViewportSizeAsync(375, 812);

        // Every control has an accessible name; the count and the connection are live regions.
        await Expect(teller.GetByRole(AriaRole.Region, new() { Name = "Inbox" })).ToBeVisibleAsync();
        await Expect(teller.GetByRole(AriaRole.Combobox, new() { Name = "Status" })).ToBeVisibleAsync();
        await Expect(teller.GetByRole(AriaRole.Textbox, new() { Name = "Tool" })).ToBeVisibleAsync();
        await Expect(teller.GetByRole(AriaRole.Checkbox, new() { Name = "Waiting for me" })).ToBeVisibleAsync();
        await Expect(teller.GetByRole(AriaRole.Button, new() { Name = "Apply filters" })).ToBeVisibleAsync();
        await Expect(teller.GetByRole(AriaRole.Status).Filter(new() { HasText = "Live" })).ToHaveCountAsync(1);
        await Expect(teller.Locator("#waiting")).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(teller.Locator("#waiting")).ToHaveTextAsync("1 waiting");

        // Tab to the inbox item (a button: its name says the tool, the requester and the state), Enter opens the call view.
        ILocator item = teller.GetByRole(AriaRole.Button, new() { Name = "transfer, requested by carol, Waiting for a decision" });
        await TabToAsync(teller, item);
        Assert.True(await HasVisibleFocusAsync(teller), "the focused inbox item shows no focus ring");
        await teller.Keyboard.PressAsync("Enter");
        await Expect(teller.Locator("#detail")).ToBeFocusedAsync();
        ILocator decide = teller.GetByRole(AriaRole.Group, new() { Name = "Decide transfer" });
        await Expect(decide.GetByRole(AriaRole.Textbox, new() { Name = "Reason (required to reject; a comment otherwise)" })).ToBeVisibleAsync();
        await Expect(decide.GetByRole(AriaRole.Button, new() { Name = "Reject" })).ToBeVisibleAsync();
        Assert.True(await teller.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "wider than a 375 px screen");
        await Screenshots.SaveAsync(teller, "console-phone.png");

        // Escape goes back to the item, Enter comes back; then Tab to Approve and press Space.
        await teller.Keyboard.PressAsync("Escape");
        await Expect(item).ToBeFocusedAsync();
        await teller.Keyboard.PressAsync("Enter");
        await Expect(teller.Locator("#detail")).ToBeFocusedAsync();
        ILocator approve = decide.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true });
        await TabToAsync(teller, approve);
        Assert.True(await HasVisibleFocusAsync(teller), "the focused Approve button shows no focus ring");
        await teller.Keyboard.PressAsync("Space");

        // The answer is announced (a status region), the focus stays in the call view, and the status line says what happened.
        ILocator answer = teller.GetByRole(AriaRole.Status).Filter(new() { HasText = "Transferred $110.00 to hana." });
        await Expect(answer).ToHaveCountAsync(1);
        await Expect(teller.Locator(".resumed-answer.done")).ToHaveCountAsync(1);
        await Expect(teller.Locator("#detail")).ToBeFocusedAsync();
        await Expect(teller.Locator(".facts .status")).ToHaveTextAsync("Done: resumed, the conversation moved on");
        Assert.True(await teller.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "wider than a 375 px screen after the answer");
        await Expect(customer.Locator("#log .msg.assistant").Last).ToContainTextAsync("Transferred $110.00 to hana.");
        Assert.Equal(1, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_AuditorSeesTheCallButNoControls_AForgedDecisionGets403AndChangesNothing()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $200 to erin");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        IPage auditor = await OpenConsoleAsync(server, "audrey", approver: false, auditor: true);
        await Expect(auditor.Locator("#who")).ToContainTextAsync("(read-only)");
        await auditor.Locator("#items button.item").ClickAsync();
        ILocator call = auditor.Locator(".call");
        await Expect(call.Locator(".json-number")).ToHaveTextAsync("200");
        await Expect(call.Locator(".no-controls")).ToBeVisibleAsync();
        await Expect(auditor.Locator("button.approve, button.reject, button.approve-edited, button.respond, textarea")).ToHaveCountAsync(0);

        // At a phone's width the inbox and the call stack in one column, with nothing wider than the screen.
        await auditor.SetViewportSizeAsync(390, 844);
        Assert.True(await auditor.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await Screenshots.SaveAsync(auditor, "console-read-only-phone.png");

        // A decision forged in the auditor's own page, with a valid anti-forgery token and the fingerprint shown: 403, nothing changes.
        string approvalId = (await auditor.Locator(".approval").GetAttributeAsync("data-approval-id"))!;
        JsonElement statuses = await auditor.EvaluateAsync<JsonElement>(
            """
            async (id) => {
              const token = await (await fetch('/approvals/api/antiforgery')).json();
              const view = await (await fetch(`/approvals/api/approvals/${id}`)).json();
              const call = view.calls[0];
              const body = JSON.stringify({ decision: 'approve', fingerprint: call.fingerprint });
              const headers = { 'Content-Type': 'application/json', [token.headerName]: token.token };
              const console = await fetch(`/approvals/api/approvals/${id}/calls/${call.callId}/decision`, { method: 'POST', headers, body });
              const resume = await fetch(`/approvals/api/approvals/${id}/resume`, { method: 'POST', headers, body: '{}' });
              const after = await (await fetch(`/approvals/api/approvals/${id}`)).json();
              return { console: console.status, resume: resume.status, status: after.status, decision: after.calls[0].decision };
            }
            """, approvalId);
        Assert.Equal(403, statuses.GetProperty("console").GetInt32());
        Assert.Equal(403, statuses.GetProperty("resume").GetInt32());
        Assert.Equal("Pending", statuses.GetProperty("status").GetString());
        Assert.Equal("AwaitingApproval", statuses.GetProperty("decision").GetString());
        Assert.Equal(0, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_A28DigitDecimal_ShowsExactly_AndAnEditKeepsItExact()
    {
        const string Amount = "1234567890123456789012345.678";
        await using FakeOpenAIEndpoint endpoint = new(_ => FakeOpenAIEndpoint.ToolCall("call_exact_28", "transfer", $$"""{"to":"bob","amount":{{Amount}}}"""));
        await using SseChatServer server = await SseChatServer.StartAsync(new Dictionary<string, string>
        {
            ["HUMANINLOOP_OPENAI_ENDPOINT"] = endpoint.Url,
            ["HUMANINLOOP_OPENAI_MODEL"] = "test-model",
        });
        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "send bob everything");
        await Expect(customer.Locator(".approval-card")).ToBeVisibleAsync();

        IPage teller = await OpenConsoleAsync(server, "teller");
        await teller.Locator("#items button.item").ClickAsync();
        ILocator call = teller.Locator(".call");
        await Expect(call.Locator(".arguments .json-number")).ToHaveTextAsync(Amount);
        await call.Locator("details.edit > summary").ClickAsync();
        await Expect(call.GetByLabel("amount (required)")).ToHaveValueAsync(Amount);
        await call.Locator("details.edit-json > summary").ClickAsync();
        await Expect(call.Locator("textarea.arguments-editor")).ToHaveValueAsync(new Regex(Regex.Escape($"\"amount\": {Amount}")));
        Assert.Equal(0, server.CountTransfers());
    }

    [BrowserFact]
    public async Task Console_ANewApprovalElsewhere_AppearsWithoutAReload()
    {
        await using SseChatServer server = await SseChatServer.StartAsync();
        IPage teller = await OpenConsoleAsync(server, "teller");
        await Expect(teller.Locator("#waiting")).ToHaveTextAsync("0 waiting");
        await Expect(teller.Locator("#live.on")).ToHaveCountAsync(1);
        await teller.EvaluateAsync("() => { window.sameDocument = 'yes'; }");

        IPage customer = await SignInAsync(server, "carol", approver: false);
        await customer.GotoAsync(server.BaseUrl);
        await SendAsync(customer, "transfer $175 to frank");

        await Expect(teller.Locator("#items button.item")).ToHaveCountAsync(1);
        await Expect(teller.Locator("#waiting")).ToHaveTextAsync("1 waiting");
        Assert.Equal("yes", await teller.EvaluateAsync<string>("() => window.sameDocument"));
    }

    private Task<IPage> SignInAsync(SseChatServer server, string name, bool approver, bool auditor = false) =>
        ConsolePages.SignInAsync(_browser.Browser, server, name, approver, auditor, Timeout);

    private Task<IPage> OpenConsoleAsync(SseChatServer server, string name, bool approver = true, bool auditor = false) =>
        ConsolePages.OpenConsoleAsync(_browser.Browser, server, name, approver, auditor, Timeout);

    /// <summary>Presses Tab until <paramref name="target"/> has the focus (the keyboard's own order; never a click).</summary>
    private static async Task TabToAsync(IPage page, ILocator target, int maxPresses = 60)
    {
        for (int i = 0; i < maxPresses; i++)
        {
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Fail($"{maxPresses} presses of Tab did not reach {target}.");
    }

    private static Task<bool> HasVisibleFocusAsync(IPage page) => page.EvaluateAsync<bool>(
        "() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; }");

    private static Task SendAsync(IPage page, string text) => ConsolePages.SendAsync(page, text);
}
