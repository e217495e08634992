using System.Net;
using System.Net.Http.Json;
using ApprovalWorkflow;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>Time passes and hosts restart: approvals expire (or escalate first), and decided work resumes by workflow id on a new host.</summary>
public sealed class ExpiryAndRestartTests : IAsyncLifetime
{
    private WorkflowEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await WorkflowEnvironment.CreateAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task UndecidedApproval_PastDeadline_RecordedExpired_WorkflowClosed_WorkerContinues()
    {
        await using WebApplication host = await _env.StartHostAsync();
        await _env.PostInvoiceAsync("INV-500", "Acme Corp", 5000m);
        string approvalId = (await _env.WaitForWorkflowAsync("wf-INV-500", "WaitingForApproval")).ApprovalId!;
        (Uri approve, _) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed"));

        _env.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2)); // past the 1-day deadline and the next expiry sweep
        var workflow = await _env.WaitForWorkflowAsync("wf-INV-500", "Expired");
        Assert.Contains("Nobody decided", workflow.Outcome, StringComparison.Ordinal);

        PendingApproval approval = await host.Services.GetRequiredService<ApprovalService>().GetAsync(approvalId);
        Assert.Equal(ApprovalStatus.Completed, approval.Status); // expired, then the resume told the model and closed it
        Assert.Equal(CallDecisionStatus.Expired, approval.Calls[0].Decision);
        Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.Expired && e.Actor == "system");
        Assert.Empty(await _env.PaymentsAsync());
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval expired");

        // The link is dead, and nothing runs from it.
        using Browser browser = new();
        (HttpStatusCode status, _) = await browser.OpenAsync(approve);
        Assert.Equal(HttpStatusCode.Gone, status);

        // The worker carries on with new invoices.
        await _env.PostInvoiceAsync("INV-501", "Bolt Ltd", 10m);
        await _env.WaitForWorkflowAsync("wf-INV-501", "Paid");
        await _env.PostInvoiceAsync("INV-502", "Acme Corp", 2000m);
        await _env.WaitForWorkflowAsync("wf-INV-502", "WaitingForApproval");
        Assert.Single(await _env.PaymentsAsync());
        await host.StopAsync();
    }

    [Fact]
    public async Task CloseToDeadline_EscalatedOnceToTheSecondChannel_WhoseLinkDecides()
    {
        _env.Settings["Approvals:EscalationLeadTime"] = "06:00:00";
        _env.Settings["Approvals:EscalationRecipients:0"] = "cfo@example.com";
        _env.Settings["Approvals:Approvers:2:Id"] = "carol";
        _env.Settings["Approvals:Approvers:2:Email"] = "cfo@example.com";
        _env.Settings["Approvals:Approvers:2:Roles:0"] = "finance";
        await using WebApplication host = await _env.StartHostAsync();
        await _env.PostInvoiceAsync("INV-510", "Acme Corp", 9000m);
        string approvalId = (await _env.WaitForWorkflowAsync("wf-INV-510", "WaitingForApproval")).ApprovalId!;
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed");
        await WorkflowEnvironment.WaitForRequestRecordedAsync(host, approvalId);
        Assert.DoesNotContain(_env.Smtp.Messages, m => m.To.Contains("cfo@example.com"));

        // Before the lead time nothing escalates; within it, one escalation however many sweeps run.
        _env.Time.Advance(TimeSpan.FromHours(17));
        await Task.Delay(200);
        Assert.DoesNotContain(_env.Smtp.Messages, m => m.To.Contains("cfo@example.com"));
        _env.Time.Advance(TimeSpan.FromHours(2));
        var escalation = await _env.WaitForMailAsync("cfo@example.com", approvalId, "Escalated");

        // The clock moves on only once the escalation is recorded: a jump while the SMTP exchange still runs times the attempt out,
        // and at-least-once delivery sends it again (CI saw two escalation mails under load).
        await WorkflowEnvironment.WaitForEscalationRecordedAsync(host, approvalId);
        for (int sweep = 0; sweep < 5; sweep++)
        {
            _env.Time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(50);
        }

        Assert.Single(_env.Smtp.Messages, m => m.To.Contains("cfo@example.com"));
        Assert.Single(_env.Smtp.Messages, m => m.To.Contains("alice@example.com"));

        using Browser browser = new();
        (Uri approve, _) = WorkflowEnvironment.Links(escalation);
        (HttpStatusCode status, string page) = await browser.OpenAsync(approve);
        Assert.Equal(HttpStatusCode.OK, status);
        (status, _) = await browser.SubmitAsync(approve, page);
        Assert.Equal(HttpStatusCode.OK, status);
        await _env.WaitForWorkflowAsync("wf-INV-510", "Paid");
        Assert.Equal("carol", (await host.Services.GetRequiredService<ApprovalService>().GetAsync(approvalId)).Calls[0].DecidedBy);

        // The escalation channel hears the outcome too.
        await _env.WaitForMailAsync("cfo@example.com", approvalId, "Approval decided");
        await host.StopAsync();
    }

    [Fact]
    public async Task DecidedWhileWaiting_HostRestarts_ResumeByWorkflowId_PaysOnce()
    {
        _env.Settings["Workflow:AutoResume"] = "false";
        string approvalId;
        await using (WebApplication first = await _env.StartHostAsync())
        {
            await _env.PostInvoiceAsync("INV-600", "Acme Corp", 3000m);
            approvalId = (await _env.WaitForWorkflowAsync("wf-INV-600", "WaitingForApproval")).ApprovalId!;
            (Uri approve, _) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed"));
            using Browser browser = new();
            (_, string page) = await browser.OpenAsync(approve);
            (HttpStatusCode status, _) = await browser.SubmitAsync(approve, page);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("WaitingForApproval", (await _env.GetWorkflowAsync("wf-INV-600"))!.Status);
            await first.StopAsync();
        }

        await using WebApplication second = await _env.StartHostAsync();
        using HttpClient client = _env.Client();
        using HttpResponseMessage resumed = await client.PostAsync("/workflows/wf-INV-600/resume", null);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.Equal("Paid", (await resumed.Content.ReadFromJsonAsync<ApprovalWorkflow.WorkflowRecord>())!.Status);

        using HttpResponseMessage again = await client.PostAsync("/workflows/wf-INV-600/resume", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using HttpResponseMessage unknown = await client.PostAsync("/workflows/wf-nope/resume", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Single(await _env.PaymentsAsync());
        await second.StopAsync();
    }

    [Fact]
    public async Task ResumeBeforeDecision_Conflict_NothingRuns()
    {
        _env.Settings["Workflow:AutoResume"] = "false";
        await using WebApplication host = await _env.StartHostAsync();
        await _env.PostInvoiceAsync("INV-610", "Acme Corp", 3000m);
        await _env.WaitForWorkflowAsync("wf-INV-610", "WaitingForApproval");
        using HttpClient client = _env.Client();
        using HttpResponseMessage response = await client.PostAsync("/workflows/wf-INV-610/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(await _env.PaymentsAsync());
        await host.StopAsync();
    }

    [Fact]
    public async Task MailServerDown_RequestDeliveredAfterRestart_AlreadyDeliveredNotSentAgain()
    {
        string delivered;
        string undelivered;
        await using (WebApplication first = await _env.StartHostAsync())
        {
            await _env.PostInvoiceAsync("INV-620", "Acme Corp", 3000m);
            delivered = (await _env.WaitForWorkflowAsync("wf-INV-620", "WaitingForApproval")).ApprovalId!;
            await _env.WaitForMailAsync("alice@example.com", delivered, "Approval needed");

            _env.Smtp.RefuseNext(1000);
            await _env.PostInvoiceAsync("INV-621", "Acme Corp", 4000m);
            undelivered = (await _env.WaitForWorkflowAsync("wf-INV-621", "WaitingForApproval")).ApprovalId!;
            await Eventually.TrueAsync(() => _env.Smtp.Connections >= 4, "a few refused attempts", _env.Time, TimeSpan.FromSeconds(1));
            await first.StopAsync();
        }

        _env.Smtp.RefuseNext(0);
        await using WebApplication second = await _env.StartHostAsync();
        var mail = await _env.WaitForMailAsync("alice@example.com", undelivered, "Approval needed");
        await Task.Delay(300);
        Assert.Single(_env.Smtp.Messages, m => m.To.Contains("alice@example.com") && m.Message.Headers["X-HumanInLoop-Approval"] == delivered);

        (Uri approve, _) = WorkflowEnvironment.Links(mail);
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(approve);
        (HttpStatusCode status, _) = await browser.SubmitAsync(approve, page);
        Assert.Equal(HttpStatusCode.OK, status);
        await _env.WaitForWorkflowAsync("wf-INV-621", "Paid");
        await second.StopAsync();
    }

    [Fact]
    public async Task DecidedWhileDown_AutoResume_WorkerResumesOnStart()
    {
        _env.Settings["Workflow:AutoResume"] = "false";
        string approvalId;
        await using (WebApplication first = await _env.StartHostAsync())
        {
            await _env.PostInvoiceAsync("INV-630", "Acme Corp", 3000m);
            approvalId = (await _env.WaitForWorkflowAsync("wf-INV-630", "WaitingForApproval")).ApprovalId!;
            await first.Services.GetRequiredService<ApprovalService>().DecideAsync(approvalId, "pay-INV-630", ApprovalDecision.Approve(new Approver("alice", ["finance"])));
            await first.StopAsync();
        }

        _env.Settings["Workflow:AutoResume"] = "true";
        await using WebApplication second = await _env.StartHostAsync();
        await _env.WaitForWorkflowAsync("wf-INV-630", "Paid");
        Assert.Single(await _env.PaymentsAsync());
        await second.StopAsync();
    }

    [Fact]
    public async Task InvoiceDroppedInTheInboxFolder_PickedUpOnTheNextPoll()
    {
        await using WebApplication host = await _env.StartHostAsync();
        string inbox = _env.Settings["Workflow:InboxFolder"]!;
        Directory.CreateDirectory(inbox);
        await File.WriteAllTextAsync(Path.Combine(inbox, "inv-700.json"), """{"id":"INV-700","vendor":"Bolt Ltd","amount":12.34}""");
        await File.WriteAllTextAsync(Path.Combine(inbox, "broken.json"), "{ not json");
        await _env.WaitForWorkflowAsync("wf-INV-700", "Paid", advance: TimeSpan.FromSeconds(5));

        // The two files may be picked up by different polls (the first can run between the two writes): keep polling.
        string processed = _env.Settings["Workflow:ProcessedFolder"]!;
        await Eventually.TrueAsync(
            () => File.Exists(Path.Combine(processed, "inv-700.json")) && File.Exists(Path.Combine(processed, "rejected", "broken.json")),
            "both files moved out of the inbox", _env.Time, TimeSpan.FromSeconds(5));
        Assert.Empty(Directory.GetFiles(inbox));
        Assert.Single(await _env.PaymentsAsync());
        await host.StopAsync();
    }
    [Fact]
    public async Task InvoiceFileStillBeingWritten_IsNotRejected_AndIsPaidOnceComplete()
    {
        await using WebApplication host = await _env.StartHostAsync();
        string inbox = _env.Settings["Workflow:InboxFolder"]!;
        string processed = _env.Settings["Workflow:ProcessedFolder"]!;
        Directory.CreateDirectory(inbox);
        string file = Path.Combine(inbox, "inv-701.json");

        // The first half of the file, as a copy in progress leaves it; several polls run over it.
        await File.WriteAllTextAsync(file, """{"id":"INV-701","vendor":"Bo""");
        for (int poll = 0; poll < 5; poll++)
        {
            _env.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50);
        }

        Assert.True(File.Exists(file), "a file written moments ago must stay in the inbox");
        Assert.False(File.Exists(Path.Combine(processed, "rejected", "inv-701.json")));
        Assert.Null(await _env.GetWorkflowAsync("wf-INV-701"));

        await File.WriteAllTextAsync(file, """{"id":"INV-701","vendor":"Bolt Ltd","amount":12.34}""");
        await _env.WaitForWorkflowAsync("wf-INV-701", "Paid", advance: TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(processed, "inv-701.json")), "the file moved once recorded", _env.Time, TimeSpan.FromSeconds(5));
        Assert.Single(await _env.PaymentsAsync());
        await host.StopAsync();
    }
    [Fact]
    public async Task HostStoppedAfterTheHold_BeforeTheWorkflowRecordedIt_NextHostWaitsForThatApproval()
    {
        string approvalId;
        await using (WebApplication first = await _env.StartHostAsync())
        {
            await _env.PostInvoiceAsync("INV-800", "Acme Corp", 5000m);
            approvalId = (await _env.WaitForWorkflowAsync("wf-INV-800", "WaitingForApproval")).ApprovalId!;
            await first.StopAsync();
        }

        // As if the host had died between saving the approval and recording it on the workflow.
        await ExecuteSqlAsync("UPDATE wf_workflows SET status = 'Running', approval_id = NULL WHERE id = 'wf-INV-800'");

        // Taken over once nobody touched it for InterruptedAfter (another host might have been running it).
        await using WebApplication second = await _env.StartHostAsync();
        WorkflowRecord workflow = await _env.WaitForWorkflowAsync("wf-INV-800", "WaitingForApproval", advance: TimeSpan.FromSeconds(30));

        Assert.Equal(approvalId, workflow.ApprovalId);
        ApprovalPage held = await second.Services.GetRequiredService<ApprovalService>().ListAsync(new StateQuery { ConversationId = "wf-INV-800" });
        Assert.Single(held.Approvals); // linked, not held a second time
        Assert.Empty(await _env.PaymentsAsync());
        await second.StopAsync();
    }

    [Fact]
    public async Task HostStoppedMidRun_NextHostRunsTheInvoiceAgain_PaysExactlyOnce()
    {
        await using (WebApplication first = await _env.StartHostAsync())
        {
            await _env.PostInvoiceAsync("INV-802", "Bolt Ltd", 20m);
            await _env.WaitForWorkflowAsync("wf-INV-802", "Paid");
            await first.StopAsync();
        }

        // INV-801: recorded, then the host died before the model answered. INV-802: the host died after paying, before the
        // workflow was marked paid.
        await ExecuteSqlAsync("""
            INSERT INTO wf_workflows (id, invoice_id, vendor, amount, status, updated_at) VALUES ('wf-INV-801', 'INV-801', 'Bolt Ltd', '12.34', 'Running', 0);
            UPDATE wf_workflows SET status = 'Running', outcome = NULL WHERE id = 'wf-INV-802';
            """);

        await using WebApplication second = await _env.StartHostAsync();
        await _env.WaitForWorkflowAsync("wf-INV-801", "Paid");
        await _env.WaitForWorkflowAsync("wf-INV-802", "Paid", advance: TimeSpan.FromSeconds(30));

        List<PaymentRecord> payments = await _env.PaymentsAsync();
        Assert.Equal(["INV-801", "INV-802"], payments.Select(p => p.InvoiceId).Order(StringComparer.Ordinal));
        await second.StopAsync();
    }

    private async Task ExecuteSqlAsync(string sql)
    {
        await using Microsoft.Data.Sqlite.SqliteConnection connection = new($"Data Source={_env.Settings["Workflow:Database"]}");
        await connection.OpenAsync();
        await using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.True(await command.ExecuteNonQueryAsync() > 0);
    }
}
