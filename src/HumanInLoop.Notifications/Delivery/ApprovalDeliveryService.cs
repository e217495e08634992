using System.Collections.Concurrent;
using HumanInLoop.Notifications.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Delivers queued changes to the channels in the background: per channel, with retries (Polly: exponential backoff with
/// jitter, see <see cref="MessageDeliverer"/>), a durable record of what was delivered, and a recovery sweep of pending
/// approvals at start and periodically.
/// </summary>
internal sealed class ApprovalDeliveryService : BackgroundService
{
    private readonly ApprovalNotificationDispatcher _dispatcher;
    private readonly ApprovalService _approvals;
    private readonly IApprovalChannel[] _channels;
    private readonly INotificationStore _store;
    private readonly ApprovalNotificationOptions _options;
    private readonly MessageDeliverer _deliverer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public ApprovalDeliveryService(
        ApprovalNotificationDispatcher dispatcher, ApprovalService approvals, IEnumerable<IApprovalChannel> channels, INotificationStore store,
        IOptions<ApprovalNotificationOptions> options, NotificationsTelemetry? telemetry = null, TimeProvider? timeProvider = null, ILogger<ApprovalDeliveryService>? logger = null)
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
        _deliverer = new MessageDeliverer(approvals, store, _options, telemetry ?? NotificationsTelemetry.Create(null), _time, _logger);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task reader = Task.Run(() => ReadAsync(stoppingToken), CancellationToken.None);
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

        await reader.ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        base.Dispose();
        _deliverer.Dispose();
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

    private async Task ReadAsync(CancellationToken stoppingToken)
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

                // Each message runs on its own (its backoff holds no worker); the deliverer bounds how many attempts run at once.
                IApprovalChannel channel = _channels.First(c => c.Name == work.Channel);
                string key = work.Key(channel.Name);
                Task delivery = DeliverAsync(work, channel, key, stoppingToken);
                _running.TryAdd(delivery, 0);
                _ = delivery.ContinueWith(done => _running.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(DeliveryWork work, IApprovalChannel channel, string key, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            await _deliverer.DeliverAsync(work, channel, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Not expected (the deliverer handles failures); logged so that a bug does not silently lose the worker's message.
            NotificationsLog.DeliveryCrashed(_logger, exception, work.Approval.Id, work.Kind.ToString(), channel.Name);
        }
        finally
        {
            _dispatcher.End(key);
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
}
