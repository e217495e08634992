using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApprovalWorkflow;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// The ApprovalWorkflow sample mounts the approver's console (<c>app.MapApprovalConsole("/console")</c>): the page is served to a
/// finance approver only, and a decision made through the console's own API resumes the workflow (AutoResume), paying once.
/// </summary>
public sealed class WorkflowConsoleTests
{
    [Fact]
    public async Task Console_FinanceApproverApprovesThroughIt_TheWorkflowResumesAndPaysOnce()
    {
        await using WorkflowEnvironment env = await WorkflowEnvironment.CreateAsync();
        WebApplication host = await env.StartHostAsync();
        try
        {
            await env.PostInvoiceAsync("INV-950", "Acme Corp", 2500m);
            WorkflowRecord waiting = await env.WaitForWorkflowAsync("wf-INV-950", "WaitingForApproval");

            // Not signed in: nothing of the console. Signed in without the finance role (bob, sales): refused as well.
            using (HttpClient anonymous = env.Client())
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/console/")).StatusCode);
            }

            using (HttpClient sales = await SignInAsync(env, "bob"))
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await sales.GetAsync("/console/")).StatusCode);
                Assert.Equal(HttpStatusCode.Forbidden, (await sales.GetAsync("/console/api/approvals")).StatusCode);
            }

            using HttpClient alice = await SignInAsync(env, "alice");
            using HttpResponseMessage page = await alice.GetAsync("/console/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("/console/assets/console.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

            // The inbox lists the held payment; the call is read with its fingerprint, then approved with the anti-forgery token.
            JsonElement inbox = await alice.GetFromJsonAsync<JsonElement>("/console/api/approvals");
            JsonElement item = Assert.Single(inbox.GetProperty("items").EnumerateArray());
            Assert.Equal(waiting.ApprovalId, item.GetProperty("id").GetString());
            JsonElement approval = await alice.GetFromJsonAsync<JsonElement>($"/console/api/approvals/{waiting.ApprovalId}");
            JsonElement call = approval.GetProperty("calls")[0];
            Assert.True(call.GetProperty("canDecide").GetBoolean());
            Assert.Equal("2500.00", call.GetProperty("arguments").GetProperty("amount").GetString());

            string decisionPath = $"/console/api/approvals/{waiting.ApprovalId}/calls/{call.GetProperty("callId").GetString()}/decision";
            object body = new { decision = "approve", fingerprint = call.GetProperty("fingerprint").GetString() };
            Assert.Equal(HttpStatusCode.BadRequest, (await alice.PostAsJsonAsync(decisionPath, body)).StatusCode); // no anti-forgery token
            JsonElement token = await alice.GetFromJsonAsync<JsonElement>("/console/api/antiforgery");
            using HttpRequestMessage decide = new(HttpMethod.Post, decisionPath) { Content = JsonContent.Create(body) };
            decide.Headers.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());
            using HttpResponseMessage decided = await alice.SendAsync(decide);
            Assert.Equal(HttpStatusCode.OK, decided.StatusCode);

            // The sample's AutoResume hears the decision and resumes the workflow: paid once, with the approved call's key.
            WorkflowRecord paid = await env.WaitForWorkflowAsync("wf-INV-950", "Paid");
            PaymentRecord payment = Assert.Single(await env.PaymentsAsync());
            Assert.Equal(("INV-950", 2500m), (payment.InvoiceId, payment.Amount));
            Assert.Equal("wf-INV-950", paid.Id);
            JsonElement after = await alice.GetFromJsonAsync<JsonElement>($"/console/api/approvals/{waiting.ApprovalId}");
            Assert.Equal("Completed", after.GetProperty("status").GetString());
            Assert.Equal("alice", after.GetProperty("calls")[0].GetProperty("decidedBy").GetString());
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    private static async Task<HttpClient> SignInAsync(WorkflowEnvironment env, string name)
    {
        HttpClient client = new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = env.BaseUri };
        using HttpResponseMessage signedIn = await client.PostAsJsonAsync("/account/signin", new { name });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        return client;
    }
}
