using HumanInLoop.Notifications.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Notifications;

/// <summary>
/// Expires approvals past their deadline on a timer (<see cref="ApprovalService.ExpireDueAsync"/>: recorded in the audit
/// trail and announced to the notifiers), and first escalates undecided approvals close to their deadline, when configured.
/// </summary>
/// <remarks>
/// Time comes from the host's <see cref="TimeProvider"/>. Expiry is a compare-and-swap in the store like any decision, so an
/// approval at its deadline is either expired or decided, never both. Register it with <c>AddApprovalExpiry(...)</c>, or call
/// <see cref="RunOnceAsync"/> from your own scheduler. Thread-safe.
/// </remarks>
public sealed class ApprovalExpiryService : BackgroundService
{
    private readonly ApprovalService _approvals;
    private readonly ApprovalExpiryOptions _options;
    private readonly ApprovalNotificationDispatcher? _dispatcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="ApprovalExpiryService"/> class, without escalation.</summary>
    /// <param name="approvals">The approval service.</param>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where to log, if anywhere.</param>
    public ApprovalExpiryService(ApprovalService approvals, IOptions<ApprovalExpiryOptions> options, TimeProvider? timeProvider = null, ILogger<ApprovalExpiryService>? logger = null)
        : this(approvals, options, null, timeProvider, logger)
    {
    }

    internal ApprovalExpiryService(
        ApprovalService approvals, IOptions<ApprovalExpiryOptions> options, ApprovalNotificationDispatcher? dispatcher, TimeProvider? timeProvider, ILogger<ApprovalExpiryService>? logger)
    {
        ArgumentNullException.ThrowIfNull(approvals);
        ArgumentNullException.ThrowIfNull(options);
        _approvals = approvals;
        _options = options.Value;
        _options.Validate();
        if (_options.EscalationLeadTime is not null && dispatcher is null)
        {
            throw new InvalidOperationException("ApprovalExpiryOptions.EscalationLeadTime needs the notification delivery: register it with AddHumanInLoopNotifications(...).AddApprovalExpiry(...).");
        }

        _dispatcher = dispatcher;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Escalates approvals close to their deadline (once each, if configured), then expires those past it.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many approvals were expired.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        if (_options.EscalationLeadTime is { } lead && _dispatcher is not null)
        {
            DateTimeOffset now = _time.GetUtcNow();
            string? token = null;
            do
            {
                ApprovalPage page = await _approvals.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 200, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
                foreach (PendingApproval approval in page.Approvals.Where(a => a.ExpiresAt > now && a.ExpiresAt - now <= lead))
                {
                    // The delivery records make this once per approval and channel, however many sweeps see it.
                    NotificationsLog.Escalating(_logger, approval.Id, approval.ExpiresAt);
                    _dispatcher.Enqueue(new DeliveryWork(ApprovalNotificationKind.Pending, approval, null, IsEscalation: true));
                }

                token = page.ContinuationToken;
            }
            while (token is not null);
        }

        int expired = await _approvals.ExpireDueAsync(cancellationToken).ConfigureAwait(false);
        if (expired > 0)
        {
            NotificationsLog.Expired(_logger, expired);
        }

        return expired;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    NotificationsLog.ExpirySweepFailed(_logger, exception, _options.Interval);
                }

                await Task.Delay(_options.Interval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
