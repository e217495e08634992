using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace HumanInLoop.Tests;

public sealed class TelemetryTests
{
    private static (TestBank Bank, IMeterFactory Meters, ServiceProvider Provider) Create(FakeLogger? logger = null)
    {
        ServiceProvider provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = provider.GetRequiredService<IMeterFactory>();
        ApprovalOptions options = TestBank.DefaultOptions();
        options.MeterFactory = meters;
        return (new TestBank(options, loggerFactory: logger is null ? null : new SingleLoggerFactory(logger)), meters, provider);
    }

    [Fact]
    public async Task Metrics_RequestedDecidedResumedAndTimeToDecision()
    {
        (TestBank bank, IMeterFactory meters, ServiceProvider provider) = Create();
        using ServiceProvider disposeProvider = provider;
        using MetricCollector<long> requested = new(meters, "HumanInLoop", "humaninloop.approvals.requested");
        using MetricCollector<long> decided = new(meters, "HumanInLoop", "humaninloop.calls.decided");
        using MetricCollector<long> resumes = new(meters, "HumanInLoop", "humaninloop.resumes");
        using MetricCollector<double> duration = new(meters, "HumanInLoop", "humaninloop.decision.duration");

        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        bank.Time.Advance(TimeSpan.FromMinutes(2));
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        Assert.Equal(1, requested.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(["auto_allowed", "approved"], decided.GetMeasurementSnapshot().Select(m => (string)m.Tags["humaninloop.decision"]!));
        Assert.Equal(["completed", "conflict"], resumes.GetMeasurementSnapshot().Select(m => (string)m.Tags["humaninloop.outcome"]!));
        Assert.Equal(120d, Assert.Single(duration.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task Metrics_Expired()
    {
        (TestBank bank, IMeterFactory meters, ServiceProvider provider) = Create();
        using ServiceProvider disposeProvider = provider;
        using MetricCollector<long> expired = new(meters, "HumanInLoop", "humaninloop.approvals.expired");
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        bank.Time.Advance(TimeSpan.FromDays(5));

        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));

        Assert.Equal(1, expired.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task Traces_HoldDecideResume_TaggedWithTheApprovalId()
    {
        ConcurrentQueue<Activity> stopped = new();
        using ActivityListener listener = new()
        {
            ShouldListenTo = source => source.Name == "HumanInLoop",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        TestBank bank = new();

        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "no"));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        List<Activity> mine = [.. stopped.Where(a => (string?)a.GetTagItem("humaninloop.approval.id") == pending.Id)];
        Assert.Equal(["humaninloop.hold", "humaninloop.decide", "humaninloop.resume"], mine.Select(a => a.OperationName));
        Assert.Equal("rejected", mine[1].GetTagItem("humaninloop.decision"));
        Assert.Equal("completed", mine[2].GetTagItem("humaninloop.outcome"));
    }

    [Fact]
    public async Task Logs_IdsAndOutcomes_ArgumentsOnlyAtTrace()
    {
        FakeLogger logger = new();
        (TestBank bank, _, ServiceProvider provider) = Create(logger);
        using ServiceProvider disposeProvider = provider;

        logger.ControlLevel(LogLevel.Trace, false);
        await bank.SendAsync("transfer 500 to bob", false);
        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Message.Contains("bob", StringComparison.Ordinal));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Information && r.Message.Contains("Held 1 tool call", StringComparison.Ordinal));

        logger.ControlLevel(LogLevel.Trace, true);
        await bank.SendAsync("transfer 600 to bob", false);
        FakeLogRecord trace = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Trace);
        Assert.Contains("\"to\":\"bob\"", trace.Message, StringComparison.Ordinal);
    }

    private sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
