using HumanInLoop.Notifications.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Delivers queued changes to the channels in the background: per channel, with retries (exponential backoff with
/// jitter), a durable record of what was delivered, and a recovery sweep of pending approvals at start and periodically.
/// </summary>
internal sealed class ApprovalDeliveryService : BackgroundService
{
    private readonly ApprovalNotificationDispatcher _dispatcher;
    private readonly ApprovalService _approvals;
    private readonly IApprovalChannel[] _channels;
    private readonly INotificationStore _store;
    private readonly ApprovalNotificationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ApprovalDeliveryService(
        ApprovalNotificationDispatcher dispatcher, ApprovalService approvals, IEnumerable<IApprovalChannel> channels, INotificationStore store,
        IOptions<ApprovalNotificationOptions> options, TimeProvider? timeProvider = null, ILogger<ApprovalDeliveryService>? logger = null)
    {
        _dispatcher = dispatcher;
        _approvals = approvals;
        _channels = [.. channels];
        _store = store;
        _options = options.Value;
        _options.Validate();
        string? duplicate = _channels.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two approval channels are named '{duplicate}'; give each channel its own Name (it keys the delivery records).");
        }

        string? unknown = _options.EscalationChannels.FirstOrDefault(n => _channels.All(c => c.Name != n));
        if (unknown is not null)
        {
            throw new InvalidOperationException($"ApprovalNotificationOptions.EscalationChannels names '{unknown}', but no channel has that name.");
        }

        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task[] workers = [.. Enumerable.Range(0, _options.MaxConcurrentDeliveries).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None))];
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await RecoverAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(_options.RecoveryInterval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>Queues every pending approval; what was already delivered (or is queued) is skipped per channel.</summary>
    internal async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            int count = 0;
            string? token = null;
            do
            {
                ApprovalPage page = await _approvals.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 200, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
                foreach (PendingApproval approval in page.Approvals)
                {
                    _dispatcher.Enqueue(new DeliveryWork(ApprovalNotificationKind.Pending, approval, null, false));
                    foreach (string escalatedCall in EscalationsOf(approval))
                    {
                        // An escalation announced but lost with the process is sent again; one already delivered is skipped by its key.
                        _dispatcher.Enqueue(new DeliveryWork(ApprovalNotificationKind.Escalated, approval, escalatedCall, false));
                    }

                    count++;
                }

                token = page.ContinuationToken;
            }
            while (token is not null);
            NotificationsLog.Recovered(_logger, count);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            NotificationsLog.RecoveryFailed(_logger, exception);
        }
    }

    /// <summary>The call that names each escalation of an approval: the first call escalated at that moment, as the core announces it.</summary>
    internal static IEnumerable<string> EscalationsOf(PendingApproval approval) =>
        approval.Calls.Where(c => c.EscalatedAt is not null).GroupBy(c => c.EscalatedAt).Select(g => g.First().CallId);

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (DeliveryWork work in _dispatcher.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (work.Channel is null)
                {
                    await FanOutAsync(work, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                string key = work.Key(work.Channel);
                try
                {
                    await DeliverAsync(work, key, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // The store could not be read: leave it to the next recovery sweep rather than lose the worker.
                    NotificationsLog.DeliveryCrashed(_logger, exception, work.Approval.Id, work.Kind.ToString(), work.Channel);
                    _dispatcher.End(key);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task FanOutAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        foreach (IApprovalChannel channel in _channels)
        {
            bool escalationChannel = _options.EscalationChannels.Contains(channel.Name);

            // A policy's escalation goes to every channel: the escalation channels are there for it, the others still hold the first request.
            bool wanted = work.IsEscalation ? escalationChannel
                : !escalationChannel || work.Kind == ApprovalNotificationKind.Escalated ||
                    (work.Kind != ApprovalNotificationKind.Pending && await WasEscalatedAsync(work.Approval.Id, channel.Name, cancellationToken).ConfigureAwait(false));
            if (wanted && _dispatcher.TryBegin(work.Key(channel.Name)))
            {
                _dispatcher.Enqueue(work with { Channel = channel.Name });
            }
        }
    }

    private async Task<bool> WasEscalatedAsync(string approvalId, string channel, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.IsDeliveredAsync(DeliveryWork.EscalationKey(approvalId, channel), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return false;
        }
    }

    private async Task DeliverAsync(DeliveryWork work, string key, CancellationToken stoppingToken)
    {
        string channelName = work.Channel!;
        string kind = work.IsEscalation ? "Escalation" : work.Kind.ToString();
        if (await _store.IsDeliveredAsync(key, stoppingToken).ConfigureAwait(false))
        {
            _dispatcher.End(key);
            return;
        }

        PendingApproval approval = work.Approval;
        if (work.Kind is ApprovalNotificationKind.Pending or ApprovalNotificationKind.Escalated)
        {
            // A request is worth sending only while the approval waits; read it fresh, it may have been decided meanwhile.
            approval = await _approvals.GetAsync(approval.Id, stoppingToken).ConfigureAwait(false);
            if (approval.Status != ApprovalStatus.Pending || !approval.AwaitingApproval.Any())
            {
                NotificationsLog.RequestObsolete(_logger, approval.Id, approval.Status, channelName);
                _dispatcher.End(key);
                return;
            }
        }

        IApprovalChannel channel = _channels.First(c => c.Name == channelName);
        try
        {
            using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.AttemptTimeout);
            await channel.DeliverAsync(new ApprovalDelivery(work.Kind, approval, work.CallId, work.IsEscalation, work.Attempt), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            if (work.Attempt >= _options.MaxAttempts)
            {
                NotificationsLog.DeliveryAbandoned(_logger, exception, approval.Id, kind, channelName, work.Attempt);
                _dispatcher.End(key);
                return;
            }

            TimeSpan delay = Backoff(work.Attempt);
            NotificationsLog.DeliveryRetrying(_logger, exception, approval.Id, kind, channelName, work.Attempt, delay);
            _ = RetryLaterAsync(work with { Attempt = work.Attempt + 1 }, key, delay, stoppingToken);
            return;
        }

        NotificationsLog.Delivered(_logger, approval.Id, kind, channelName, work.Attempt);
        try
        {
            // Not cancelled by a stop: a message that went out must be recorded, or the next start would send it again.
            await _store.MarkDeliveredAsync(key, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            NotificationsLog.RecordFailed(_logger, exception, approval.Id, kind, channelName);
        }

        _dispatcher.End(key);
    }

    private async Task RetryLaterAsync(DeliveryWork work, string key, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            _dispatcher.Enqueue(work);
        }
        catch (OperationCanceledException)
        {
            _dispatcher.End(key);
        }
    }

    /// <summary>Exponential backoff with "equal jitter": half the doubled delay, plus a random part of the other half.</summary>
    internal TimeSpan Backoff(int failedAttempts)
    {
        double doubled = _options.InitialRetryDelay.Ticks * Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        double capped = Math.Min(doubled, _options.MaxRetryDelay.Ticks);
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        double jittered = (capped / 2) + (Random.Shared.NextDouble() * capped / 2);
#pragma warning restore CA5394

        // In whole milliseconds, as Task.Delay waits (it drops anything finer): the delay logged is the delay waited.
        return TimeSpan.FromMilliseconds(Math.Ceiling(jittered / TimeSpan.TicksPerMillisecond));
    }
}
