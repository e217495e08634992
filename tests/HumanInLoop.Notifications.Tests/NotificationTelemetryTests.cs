using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests;

/// <summary>The Slack channel's HttpClient comes from IHttpClientFactory; deliveries and links report metrics and activities.</summary>
public sealed class NotificationTelemetryTests : IAsyncLifetime
{
    private const string Meter = "HumanInLoop.Notifications";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private WebhookReceiver _webhook = null!;

    public async Task InitializeAsync() => _webhook = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    [Fact]
    public async Task SlackWebhook_PostsWithTheNamedClient_SoHandlersAddedByTheHostRun()
    {
        await using WebhookReceiver second = await WebhookReceiver.StartAsync();
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services =>
        {
            services.AddHumanInLoopNotifications()
                .AddSlackWebhook(options => options.WebhookUri = _webhook.Uri)
                .AddSlackWebhook(options => { options.Name = "slack-ops"; options.WebhookUri = second.Uri; options.HttpClientName = "ops"; });
            services.AddHttpClient(SlackWebhookChannelOptions.DefaultHttpClientName).AddHttpMessageHandler(() => new HeaderHandler("default"));
            services.AddHttpClient("ops").AddHttpMessageHandler(() => new HeaderHandler("ops"));
        });
        await host.PauseAsync();

        await Eventually.TrueAsync(() => !_webhook.Messages.IsEmpty && !second.Messages.IsEmpty, "both webhooks");
        Assert.Equal(["default"], _webhook.HandlerHeaders);
        Assert.Equal(["ops"], second.HandlerHeaders);
        Assert.Equal("HumanInLoop.Notifications.Slack", SlackWebhookChannelOptions.DefaultHttpClientName);
    }

    [Fact]
    public async Task Deliveries_CountSentFailedRetriedAndGivenUp_ByChannel_AndTraceEachAttempt()
    {
        ConcurrentQueue<Activity> stopped = new();
        using ActivityListener listener = new()
        {
            ShouldListenTo = source => source.Name == Meter,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        _webhook.FailNext(2);
        RecordingChannel pager = new("pager", failures: 100);
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddMetrics()
            .AddHumanInLoopNotifications(options =>
            {
                options.MaxAttempts = 3;
                options.InitialRetryDelay = TimeSpan.FromSeconds(1);
                options.RecoveryInterval = TimeSpan.FromHours(1);
            })
            .AddSlackWebhook(options => options.WebhookUri = _webhook.Uri)
            .Services.AddSingleton<IApprovalChannel>(pager));
        IMeterFactory meters = host.Host.Services.GetRequiredService<IMeterFactory>();
        using MetricCollector<long> sent = new(meters, Meter, "humaninloop.notifications.deliveries.sent");
        using MetricCollector<long> failed = new(meters, Meter, "humaninloop.notifications.deliveries.failed");
        using MetricCollector<long> retried = new(meters, Meter, "humaninloop.notifications.deliveries.retried");
        using MetricCollector<long> givenUp = new(meters, Meter, "humaninloop.notifications.deliveries.given_up");
        PendingApproval pending = await host.PauseAsync();

        // The webhook has the message before its answer reaches the deliverer, which then counts it and ends the attempt's
        // activity: wait for those, not only for the message.
        await Eventually.TrueAsync(
            () => !_webhook.Messages.IsEmpty && givenUp.GetMeasurementSnapshot().Count == 1 && sent.GetMeasurementSnapshot().Count == 1 &&
                stopped.Count(a => a.OperationName == "humaninloop.notifications.deliver" && (string?)a.GetTagItem("humaninloop.approval.id") == pending.Id) == 6,
            "slack delivered, pager given up", _time, TimeSpan.FromSeconds(1));

        Assert.Equal([("slack", "Pending")], sent.GetMeasurementSnapshot().Select(Tags));
        Assert.Equal([("pager", "Pending")], givenUp.GetMeasurementSnapshot().Select(Tags));
        Assert.Equal(2, failed.GetMeasurementSnapshot().Count(m => Tags(m) == ("slack", "Pending")));
        Assert.Equal(3, failed.GetMeasurementSnapshot().Count(m => Tags(m) == ("pager", "Pending")));
        Assert.Equal(2, retried.GetMeasurementSnapshot().Count(m => Tags(m) == ("slack", "Pending")));
        Assert.Equal(2, retried.GetMeasurementSnapshot().Count(m => Tags(m) == ("pager", "Pending")));

        // The source is process-wide and other tests deliver too: this approval's attempts only.
        List<Activity> slack = [.. stopped.Where(a => a.OperationName == "humaninloop.notifications.deliver" && (string?)a.GetTagItem("humaninloop.approval.id") == pending.Id
            && (string?)a.GetTagItem("humaninloop.notifications.channel") == "slack")];
        Assert.Equal([1, 2, 3], slack.Select(a => (int)a.GetTagItem("humaninloop.notifications.attempt")!));
        Assert.Equal(["failed", "failed", "sent"], slack.Select(a => (string)a.GetTagItem("humaninloop.outcome")!));
        Assert.Equal(ActivityStatusCode.Error, slack[0].Status);
    }

    [Fact]
    public async Task Links_CountUsesAndRefusalsByReason()
    {
        await using WorkflowEnvironment env = await WorkflowEnvironment.CreateAsync();
        WebApplication app = await env.StartHostAsync();
        try
        {
            IMeterFactory meters = app.Services.GetRequiredService<IMeterFactory>();
            using MetricCollector<long> used = new(meters, Meter, "humaninloop.notifications.links.used");
            using MetricCollector<long> refused = new(meters, Meter, "humaninloop.notifications.links.refused");
            await env.PostInvoiceAsync("INV-900", "Acme Corp", 5000m);
            string approvalId = (await env.WaitForWorkflowAsync("wf-INV-900", "WaitingForApproval")).ApprovalId!;
            (Uri approve, Uri reject) = WorkflowEnvironment.Links(await env.WaitForMailAsync("alice@example.com", approvalId, "Approval needed"));

            using Browser browser = new();
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.OpenAsync(new Uri(approve.AbsoluteUri[..^5]))).Status);
            (HttpStatusCode status, string page) = await browser.OpenAsync(approve);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(HttpStatusCode.OK, (await browser.SubmitAsync(approve, page)).Status);
            Assert.Equal(HttpStatusCode.Gone, (await browser.OpenAsync(approve)).Status);

            Assert.Equal(["approve"], used.GetMeasurementSnapshot().Select(m => (string)m.Tags["humaninloop.decision"]!));
            Assert.Equal(["invalid", "already_used"], refused.GetMeasurementSnapshot().Select(m => (string)m.Tags["humaninloop.notifications.reason"]!));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static (string, string) Tags(CollectedMeasurement<long> measurement) =>
        ((string)measurement.Tags["humaninloop.notifications.channel"]!, (string)measurement.Tags["humaninloop.notifications.kind"]!);

    private sealed class HeaderHandler(string value) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Test-Handler", value);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
