using System.Net;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace HumanInLoop.Notifications.Tests;

/// <summary>The sample end to end: an invoice over the threshold pauses, the e-mail arrives over SMTP, a person follows the links.</summary>
public sealed class EmailLinkFlowTests : IAsyncLifetime
{
    private WorkflowEnvironment _env = null!;
    private WebApplication _host = null!;

    public async Task InitializeAsync()
    {
        _env = await WorkflowEnvironment.CreateAsync();
        _host = await _env.StartHostAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        await _env.DisposeAsync();
    }

    private async Task<(string ApprovalId, MimeMessage Mail)> PauseAsync(string invoiceId, decimal amount = 2500m)
    {
        using HttpResponseMessage accepted = await _env.PostInvoiceAsync(invoiceId, "Acme Corp", amount);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var workflow = await _env.WaitForWorkflowAsync("wf-" + invoiceId, "WaitingForApproval");
        MimeMessage mail = await _env.WaitForMailAsync("alice@example.com", workflow.ApprovalId!, "Approval needed");
        return (workflow.ApprovalId!, mail);
    }

    private ApprovalService Approvals => _host.Services.GetRequiredService<ApprovalService>();

    [Fact]
    public async Task ApproveLink_GetThenPost_PaysTheInvoiceExactlyOnce()
    {
        (string approvalId, MimeMessage mail) = await PauseAsync("INV-100");

        // The worker moved on: a small invoice is paid while the large one waits.
        await _env.PostInvoiceAsync("INV-101", "Bolt Ltd", 99.50m);
        await _env.WaitForWorkflowAsync("wf-INV-101", "Paid");

        // The e-mail: plain text and HTML, the call, the reason, and both links; one message per recipient.
        Assert.Contains("pay_invoice", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("\"amount\": \"2500.00\"", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Payments over $1000 need someone from finance.", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("&quot;amount&quot;: &quot;2500.00&quot;", mail.HtmlBody, StringComparison.Ordinal);
        (Uri approve, Uri reject) = WorkflowEnvironment.Links(mail);
        Assert.Contains(approve.AbsoluteUri, mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains(reject.AbsoluteUri, mail.HtmlBody, StringComparison.Ordinal);
        await _env.WaitForMailAsync("mallory@example.com", approvalId, "Approval needed");

        using Browser browser = new();
        (HttpStatusCode status, string page) = await browser.OpenAsync(approve);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Approve this call?", page, StringComparison.Ordinal);
        Assert.Contains("INV-100", page, StringComparison.Ordinal);

        // A link cannot carry free text: the page and the e-mail send an answer in place of the tool to the inbox.
        Assert.Contains("To answer in place of the tool with a result of your own, use the approvals inbox.", page, StringComparison.Ordinal);
        Assert.Contains("use the approvals inbox", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("/respond/", mail.HtmlBody, StringComparison.Ordinal);

        // Opening the link (as a mail scanner would) decided nothing.
        Assert.Equal(ApprovalStatus.Pending, (await Approvals.GetAsync(approvalId)).Status);
        Assert.DoesNotContain(await _env.PaymentsAsync(), p => p.InvoiceId == "INV-100");

        (status, string result) = await browser.SubmitAsync(approve, page);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Approved", result, StringComparison.Ordinal);
        await _env.WaitForWorkflowAsync("wf-INV-100", "Paid");

        // Replays of the same link: refused as used, nothing runs again.
        (status, _) = await browser.SubmitAsync(approve, page);
        Assert.Equal(HttpStatusCode.Gone, status);
        (status, _) = await browser.OpenAsync(approve);
        Assert.Equal(HttpStatusCode.Gone, status);

        // The other link of the same call: the call is decided, so it is refused too.
        (status, page) = await browser.OpenAsync(reject);
        Assert.Equal(HttpStatusCode.Conflict, status);

        // Only the token's SHA-256 is stored, never the token.
        string token = approve.Segments[^1];
        using (Microsoft.Data.Sqlite.SqliteConnection db = new($"Data Source={_env.Settings["Workflow:Database"]}"))
        {
            db.Open();
            using Microsoft.Data.Sqlite.SqliteCommand read = db.CreateCommand();
            read.CommandText = "SELECT token_hash FROM hil_used_link_tokens";
            string stored = Assert.IsType<string>(read.ExecuteScalar());
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token))), stored);
        }

        List<ApprovalWorkflow.PaymentRecord> payments = await _env.PaymentsAsync();
        Assert.Single(payments, p => p.InvoiceId == "INV-100");
        PendingApproval approval = await Approvals.GetAsync(approvalId);
        Assert.Equal(ApprovalStatus.Completed, approval.Status);
        Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.Approved && e.Actor == "alice");

        // The decision was announced by e-mail and in Slack.
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval decided");
        await Eventually.TrueAsync(() => _env.Slack.Messages.Any(m => m["text"]!.ToString().Contains("alice approved pay_invoice", StringComparison.Ordinal)), "Slack announcement");
    }

    [Fact]
    public async Task RejectLink_WithReason_NothingIsPaidAndTheModelIsTold()
    {
        (string approvalId, MimeMessage mail) = await PauseAsync("INV-200");
        (_, Uri reject) = WorkflowEnvironment.Links(mail);
        using Browser browser = new();
        (HttpStatusCode status, string page) = await browser.OpenAsync(reject);
        Assert.Equal(HttpStatusCode.OK, status);
        (status, _) = await browser.SubmitAsync(reject, page, reason: "Duplicate of INV-199.");
        Assert.Equal(HttpStatusCode.OK, status);

        var workflow = await _env.WaitForWorkflowAsync("wf-INV-200", "NotPaid");
        Assert.Contains("Duplicate of INV-199.", workflow.Outcome, StringComparison.Ordinal);
        Assert.Empty(await _env.PaymentsAsync());
        Assert.Equal(CallDecisionStatus.Rejected, (await Approvals.GetAsync(approvalId)).Calls[0].Decision);
    }
}
