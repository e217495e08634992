using System.Text.Json.Nodes;
using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests;

/// <summary>A policy's escalation reaches the channels as a request to decide, escalation channels included, once.</summary>
public sealed class EscalationDeliveryTests
{
    private static readonly TimeSpan After = TimeSpan.FromHours(1);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Escalated_DeliveredToEveryChannel_AsARequest_Once()
    {
        RecordingChannel chat = new("chat");
        RecordingChannel managers = new("managers");
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services =>
        {
            services.AddSingleton(ApprovalPolicy.RequireApproval("transfer", "Clerks decide.", ["clerk"], escalation: new ApprovalEscalation(After, ["manager"])));
            services.AddHumanInLoopNotifications(options => options.EscalationChannels.Add("managers")).Services
                .AddSingleton<IApprovalChannel>(chat).AddSingleton<IApprovalChannel>(managers);
        });
        PendingApproval pending = await host.PauseAsync();
        await Eventually.TrueAsync(() => chat.Delivered.Any(), "the request");
        Assert.Empty(managers.Attempts);

        _time.Advance(After);
        await host.Approvals.ExpireDueAsync();
        await host.Approvals.ExpireDueAsync();

        await Eventually.TrueAsync(() => managers.Delivered.Any() && chat.Delivered.Count() == 2, "the escalation");
        ApprovalDelivery escalation = Assert.Single(managers.Delivered);
        Assert.Equal((ApprovalNotificationKind.Escalated, pending.Id, "c1"), (escalation.Kind, escalation.Approval.Id, escalation.CallId));
        Assert.Equal(["manager"], Assert.Single(escalation.CallsToDecide).EscalationApprovers);
        Assert.Equal(ApprovalNotificationKind.Escalated, chat.Delivered.Last().Kind);

        JsonObject slack = SlackWebhookChannel.BuildMessage(escalation);
        Assert.StartsWith("Escalated", slack["blocks"]![0]!["text"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("escalated to manager", slack.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("\"actions\"", slack.ToJsonString(), StringComparison.Ordinal);
    }
}
