using System.Net;
using System.Net.Http.Json;
using ApprovalWorkflow;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// The ApprovalWorkflow sample run as two hosts on one SQLite file (one fake clock, one SMTP server, one webhook): each request
/// goes out once, a decided approval is resumed and paid once however many hosts try, and a workflow left mid-way is continued
/// by one host only, never while another may still be running it.
/// </summary>
public sealed class SampleTwoHostsTests : IAsyncLifetime
{
    private readonly Uri _second = WorkflowEnvironment.NewAddress();
    private WorkflowEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await WorkflowEnvironment.CreateAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task InvoiceOnOneHost_RequestSentOnce_DecidedByLink_ResumedByBothAtOnce_PaidOnce()
    {
        await using WebApplication a = await _env.StartHostAsync();
        await using WebApplication b = await _env.StartHostAsync(listenOn: _second);
        await _env.PostInvoiceAsync("INV-1", "Acme Corp", 2500m);
        string approvalId = (await _env.WaitForWorkflowAsync("wf-INV-1", "WaitingForApproval")).ApprovalId!;
        (Uri approve, _) = WorkflowEnvironment.Links(await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed"));
        await WorkflowEnvironment.WaitForRequestRecordedAsync(a, approvalId);
        await Eventually.TrueAsync(() => !_env.Slack.Messages.IsEmpty, "the Slack request");
        // Recorded before the clock jumps: an attempt still in flight would time out on the fake clock and be retried (at-least-once).
        await WorkflowEnvironment.WaitForRequestRecordedAsync(a, approvalId, "slack");

        // Both hosts' recovery sweeps run (5 minutes): the request is not sent again by either.
        _env.Time.Advance(TimeSpan.FromMinutes(6));
        await Task.Delay(300);
        Assert.Equal(2, RequestMails(approvalId)); // alice and mallory, once each
        Assert.Single(_env.Slack.Messages);

        // The decision on host A queues its resume there; both hosts are asked to resume at the same moment, several times.
        using Browser browser = new();
        (_, string page) = await browser.OpenAsync(approve);
        Assert.Equal(HttpStatusCode.OK, (await browser.SubmitAsync(approve, page)).Status);
        using HttpClient toA = _env.Client();
        using HttpClient toB = _env.Client(_second);
        HttpStatusCode[] resumes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using HttpResponseMessage response = await (i % 2 == 0 ? toA : toB).PostAsync("/workflows/wf-INV-1/resume", null);
            return response.StatusCode;
        }));
        Assert.All(resumes, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Conflict, $"resume answered {status}"));
        await _env.WaitForWorkflowAsync("wf-INV-1", "Paid");

        PendingApproval approval = await b.Services.GetRequiredService<ApprovalService>().GetAsync(approvalId);
        Assert.Equal(ApprovalStatus.Completed, approval.Status);
        Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.Claimed);
        Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.CallStarted);
        Assert.Single(await _env.PaymentsAsync());
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval decided");
        await Task.Delay(300);
        Assert.Equal(2, _env.Smtp.Messages.Count(m => m.Message.Headers["X-HumanInLoop-Approval"] == approvalId && (m.Message.Subject ?? "").StartsWith("Approval decided", StringComparison.Ordinal)));
        await b.StopAsync();
        await a.StopAsync();
    }

    [Fact]
    public async Task InterruptedWorkflow_TakenOverByOneHost_TheOtherStartingMeanwhile_LeavesIt_OneApprovalOneRequest()
    {
        // A host died after recording INV-2 and before the model answered, long ago.
        await EnsureTablesAsync();
        await ExecuteAsync("""
            INSERT INTO wf_workflows (id, invoice_id, vendor, amount, status, updated_at) VALUES ('wf-INV-2', 'INV-2', 'Acme Corp', '4200.00', 'Running', 0);
            """);

        // Host A takes it over on start and is held in the model call; host B starts meanwhile and looks at it too.
        TaskCompletionSource inModel = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WebApplication a = await _env.StartHostAsync(services => HoldFirstModelCall(services, inModel, release.Task));
        await inModel.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await using WebApplication b = await _env.StartHostAsync(listenOn: _second);

        // Host B's worker looks at interrupted workflows before it takes queued work: once INV-9 is paid, B has looked.
        using HttpClient toB = _env.Client(_second);
        using (HttpResponseMessage posted = await toB.PostAsJsonAsync("/invoices", new { id = "INV-9", vendor = "Bolt Ltd", amount = 5m }))
        {
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        }

        await _env.WaitForWorkflowAsync("wf-INV-9", "Paid");
        release.SetResult();

        string approvalId = (await _env.WaitForWorkflowAsync("wf-INV-2", "WaitingForApproval")).ApprovalId!;
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed");
        await Task.Delay(300);
        ApprovalPage held = await b.Services.GetRequiredService<ApprovalService>().ListAsync(new StateQuery { ConversationId = "wf-INV-2" });
        Assert.Single(held.Approvals); // held once, by host A; host B left it
        Assert.Equal(1, RequestMails(approvalId, "alice@example.com"));
        await b.StopAsync();
        await a.StopAsync();
    }

    [Fact]
    public async Task WorkflowRunningNow_IsLeftToItsHost_ThenTakenOverOnceWhenUntouchedForInterruptedAfter()
    {
        await EnsureTablesAsync();
        await using WebApplication a = await _env.StartHostAsync();
        await using WebApplication b = await _env.StartHostAsync(listenOn: _second);

        // As if a third host had just recorded INV-3 and were asking the model now.
        await ExecuteAsync($"""
            INSERT INTO wf_workflows (id, invoice_id, vendor, amount, status, updated_at) VALUES ('wf-INV-3', 'INV-3', 'Bolt Ltd', '3100.00', 'Running', {_env.Time.GetUtcNow().ToUnixTimeMilliseconds()});
            """);

        // Several interrupted-workflow checks (every PollInterval, 5 s) within the 5 minutes: nobody touches it.
        for (int check = 0; check < 6; check++)
        {
            _env.Time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
        }

        Assert.Equal("Running", (await _env.GetWorkflowAsync("wf-INV-3"))!.Status);
        Assert.Empty((await a.Services.GetRequiredService<ApprovalService>().ListAsync(new StateQuery { ConversationId = "wf-INV-3" })).Approvals);

        // Past InterruptedAfter: one of the two takes it over. The clock jumps once past it, then moves in small steps while the
        // test waits, so that the run that took it over never itself looks untouched for InterruptedAfter. (A 30-second step per
        // 20 ms poll made five minutes pass in 200 ms of real time: on a loaded machine the other host took it over too.)
        _env.Time.Advance(TimeSpan.FromMinutes(2.5));
        string approvalId = (await _env.WaitForWorkflowAsync("wf-INV-3", "WaitingForApproval", advance: TimeSpan.FromMilliseconds(100))).ApprovalId!;
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed");
        await Task.Delay(300);
        Assert.Single((await b.Services.GetRequiredService<ApprovalService>().ListAsync(new StateQuery { ConversationId = "wf-INV-3" })).Approvals);
        await b.StopAsync();
        await a.StopAsync();
    }

    [Fact]
    public async Task ModelCallLongerThanInterruptedAfter_HostKeepsItAlive_TheOtherHostNeverTakesItOver()
    {
        // Host A asks the model about INV-4, and the model takes ten minutes (twice InterruptedAfter) to answer.
        TaskCompletionSource inModel = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WebApplication a = await _env.StartHostAsync(services => HoldFirstModelCall(services, inModel, release.Task));
        await using WebApplication b = await _env.StartHostAsync(listenOn: _second);
        await _env.PostInvoiceAsync("INV-4", "Acme Corp", 4400m);
        await inModel.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Host B checks for interrupted workflows every PollInterval; host A's heartbeat keeps INV-4 fresh all the while.
        for (int step = 0; step < 20; step++)
        {
            _env.Time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
        }

        Assert.Equal("Running", (await _env.GetWorkflowAsync("wf-INV-4"))!.Status);
        Assert.Empty((await b.Services.GetRequiredService<ApprovalService>().ListAsync(new StateQuery { ConversationId = "wf-INV-4" })).Approvals);

        release.SetResult();
        string approvalId = (await _env.WaitForWorkflowAsync("wf-INV-4", "WaitingForApproval")).ApprovalId!;
        await _env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed");
        await Task.Delay(300);
        Assert.Single((await b.Services.GetRequiredService<ApprovalService>().ListAsync(new StateQuery { ConversationId = "wf-INV-4" })).Approvals);
        Assert.Equal(1, RequestMails(approvalId, "alice@example.com"));
        await b.StopAsync();
        await a.StopAsync();
    }

    private int RequestMails(string approvalId, string? to = null) => _env.Smtp.Messages.Count(m =>
        m.Message.Headers["X-HumanInLoop-Approval"] == approvalId && (m.Message.Subject ?? "").StartsWith("Approval needed", StringComparison.Ordinal) &&
        (to is null || m.To.Contains(to)));

    /// <summary>Makes the host's first call of its assistant wait (after the worker took the workflow over, before the gate holds it).</summary>
    private static void HoldFirstModelCall(IServiceCollection services, TaskCompletionSource entered, Task release)
    {
        ServiceDescriptor registered = services.Last(d => d.ServiceType == typeof(IChatClient));
        services.Remove(registered);
        services.AddSingleton<IChatClient>(provider => new HoldingChatClient((IChatClient)registered.ImplementationFactory!(provider), entered, release));
    }

    private sealed class HoldingChatClient(IChatClient inner, TaskCompletionSource entered, Task release) : DelegatingChatClient(inner)
    {
        private int _calls;

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                entered.TrySetResult();
                await release.WaitAsync(cancellationToken);
            }

            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
    }

    /// <summary>The sample's tables are created by its first use: one host runs one small invoice, and stops.</summary>
    private async Task EnsureTablesAsync()
    {
        await using WebApplication first = await _env.StartHostAsync();
        await _env.PostInvoiceAsync("INV-0", "Seed Ltd", 1m);
        await _env.WaitForWorkflowAsync("wf-INV-0", "Paid");
        await first.StopAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using Microsoft.Data.Sqlite.SqliteConnection connection = new($"Data Source={_env.Settings["Workflow:Database"]}");
        await connection.OpenAsync();
        await using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
