using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>HumanInLoop.Notifications</c>, and their instruments:
/// what was delivered, failed, retried and given up, and how approval links and Slack buttons were used or refused.
/// </summary>
/// <remarks>Thread-safe. Registered as a singleton by <c>AddHumanInLoopNotifications</c>, with the container's <see cref="IMeterFactory"/>.</remarks>
internal sealed class NotificationsTelemetry
{
    public const string Name = "HumanInLoop.Notifications";

    public const string DeliveriesSent = "humaninloop.notifications.deliveries.sent";
    public const string DeliveriesFailed = "humaninloop.notifications.deliveries.failed";
    public const string DeliveriesRetried = "humaninloop.notifications.deliveries.retried";
    public const string DeliveriesGivenUp = "humaninloop.notifications.deliveries.given_up";
    public const string LinksUsed = "humaninloop.notifications.links.used";
    public const string LinksRefused = "humaninloop.notifications.links.refused";
    public const string SlackDecisions = "humaninloop.notifications.slack.decisions";
    public const string SlackRefused = "humaninloop.notifications.slack.refused";

    public const string DeliverActivity = "humaninloop.notifications.deliver";
    public const string LinkDecideActivity = "humaninloop.notifications.link.decide";

    public const string ChannelTag = "humaninloop.notifications.channel";
    public const string KindTag = "humaninloop.notifications.kind";
    public const string AttemptTag = "humaninloop.notifications.attempt";
    public const string ReasonTag = "humaninloop.notifications.reason";
    public const string ApprovalIdTag = "humaninloop.approval.id";
    public const string DecisionTag = "humaninloop.decision";
    public const string OutcomeTag = "humaninloop.outcome";

    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Lazy<NotificationsTelemetry> s_shared = new(() => new NotificationsTelemetry(new Meter(Name)));

    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _givenUp;
    private readonly Counter<long> _linksUsed;
    private readonly Counter<long> _linksRefused;
    private readonly Counter<long> _slackDecisions;
    private readonly Counter<long> _slackRefused;

    private NotificationsTelemetry(Meter meter)
    {
        _sent = meter.CreateCounter<long>(DeliveriesSent, "{message}", "Messages a channel accepted, by channel and kind.");
        _failed = meter.CreateCounter<long>(DeliveriesFailed, "{attempt}", "Delivery attempts that failed (an exception or the attempt timeout), by channel and kind.");
        _retried = meter.CreateCounter<long>(DeliveriesRetried, "{retry}", "Retries scheduled after a failed attempt, by channel and kind.");
        _givenUp = meter.CreateCounter<long>(DeliveriesGivenUp, "{message}", "Messages given up after MaxAttempts failed attempts (until the next recovery sweep), by channel and kind.");
        _linksUsed = meter.CreateCounter<long>(LinksUsed, "{link}", "Approval links used to record a decision, by decision (approve, reject).");
        _linksRefused = meter.CreateCounter<long>(LinksRefused, "{request}", "Approval link requests refused, by reason.");
        _slackDecisions = meter.CreateCounter<long>(SlackDecisions, "{decision}", "Decisions recorded from Slack buttons, by decision (approve, reject).");
        _slackRefused = meter.CreateCounter<long>(SlackRefused, "{request}", "Slack interactions refused, by reason.");
    }

    public static NotificationsTelemetry Create(IMeterFactory? meterFactory) =>
        meterFactory is null ? s_shared.Value : new NotificationsTelemetry(meterFactory.Create(Name));

    public void Sent(string channel, string kind) => _sent.Add(1, Delivery(channel, kind));

    public void Failed(string channel, string kind) => _failed.Add(1, Delivery(channel, kind));

    public void Retried(string channel, string kind) => _retried.Add(1, Delivery(channel, kind));

    public void GivenUp(string channel, string kind) => _givenUp.Add(1, Delivery(channel, kind));

    public void LinkUsed(string decision) => _linksUsed.Add(1, new KeyValuePair<string, object?>(DecisionTag, decision));

    public void LinkRefused(string reason) => _linksRefused.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    public void SlackDecided(string decision) => _slackDecisions.Add(1, new KeyValuePair<string, object?>(DecisionTag, decision));

    public void SlackInteractionRefused(string reason) => _slackRefused.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    private static TagList Delivery(string channel, string kind) => new() { { ChannelTag, channel }, { KindTag, kind } };
}
