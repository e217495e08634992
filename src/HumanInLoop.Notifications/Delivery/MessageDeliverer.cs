using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// Delivers one message to one channel, with Polly: a retry strategy (exponential backoff with jitter, capped, at most
/// <see cref="ApprovalNotificationOptions.MaxAttempts"/> attempts) around a timeout per attempt, both on the host's
/// <see cref="TimeProvider"/>. Each attempt first claims the message in the <see cref="INotificationStore"/> (a lease, renewed by
/// each attempt of this delivery, so its own retries are never refused), then re-checks the delivery record and, for a request,
/// that the approval still waits; a message that went out is recorded, then the claim is released.
/// </summary>
/// <remarks>
/// <para>
/// The claim is what makes several hosts on one store send a message once: a host that finds it claimed by another (whose
/// lease runs) stops, and the holder sends it; a host that died mid-send leaves a claim whose lease ends, after which the
/// next recovery sweep of any host takes it over. The lease covers one attempt and the backoff before the next:
/// 2 × <see cref="ApprovalNotificationOptions.AttemptTimeout"/> + <see cref="ApprovalNotificationOptions.MaxRetryDelay"/>.
/// </para>
/// <para>
/// At most <see cref="ApprovalNotificationOptions.MaxConcurrentDeliveries"/> attempts run at once; a message waiting out its
/// backoff holds no slot, so a dead channel does not hold up the others. Thread-safe.
/// </para>
/// </remarks>
internal sealed class MessageDeliverer : IDisposable
{
    private static readonly ResiliencePropertyKey<MessageRun> RunKey = new("HumanInLoop.Notifications.Message");

    private readonly ApprovalService _approvals;
    private readonly INotificationStore _store;
    private readonly NotificationsTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ResiliencePipeline _retry;
    private readonly ResiliencePipeline _timeout;
    private readonly TimeSpan _lease;

    public MessageDeliverer(
        ApprovalService approvals, INotificationStore store, ApprovalNotificationOptions options, NotificationsTelemetry telemetry, TimeProvider time, ILogger logger)
    {
        _approvals = approvals;
        _store = store;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxConcurrentDeliveries, options.MaxConcurrentDeliveries);
        _lease = options.AttemptTimeout + options.AttemptTimeout + options.MaxRetryDelay;
        ResiliencePipelineBuilder retry = new() { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            retry.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InitialRetryDelay,
                MaxDelay = options.MaxRetryDelay,

                // Any failure of an attempt is retried (a channel's own timeout too), unless the host is stopping.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                OnRetry = OnRetry,
            });
        }

        _retry = retry.Build();
        _timeout = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <summary>Releases the slots' semaphore.</summary>
    public void Dispose() => _slots.Dispose();

    private enum Result
    {
        Sent,
        AlreadyDelivered,
        Obsolete,
        ClaimedElsewhere,
    }

    /// <summary>Delivers the message with retries and records it; never throws (a message given up waits for the recovery sweep).</summary>
    public async Task DeliverAsync(DeliveryWork work, IApprovalChannel channel, CancellationToken stoppingToken)
    {
        MessageRun run = new(work, channel, work.IsEscalation ? "Escalation" : work.Kind.ToString());
        ResilienceContext context = ResilienceContextPool.Shared.Get(stoppingToken);
        context.Properties.Set(RunKey, run);
        try
        {
            Result result = await _retry.ExecuteAsync(static (context, state) => state.Self.AttemptAsync(context, state.Run), context, (Self: this, Run: run)).ConfigureAwait(false);
            if (result == Result.Sent)
            {
                await RecordAsync(run).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            NotificationsLog.DeliveryAbandoned(_logger, exception, work.Approval.Id, run.Kind, channel.Name, run.Attempt);
            _telemetry.GivenUp(channel.Name, run.Kind);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            await ReleaseAsync(run).ConfigureAwait(false);
        }
    }

    private async ValueTask<Result> AttemptAsync(ResilienceContext context, MessageRun run)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AttemptInSlotAsync(run, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<Result> AttemptInSlotAsync(MessageRun run, CancellationToken cancellationToken)
    {
        int attempt = ++run.Attempt;
        using Activity? activity = NotificationsTelemetry.ActivitySource.StartActivity(NotificationsTelemetry.DeliverActivity, ActivityKind.Producer);
        activity?.SetTag(NotificationsTelemetry.ApprovalIdTag, run.Work.Approval.Id)
            .SetTag(NotificationsTelemetry.ChannelTag, run.Channel.Name)
            .SetTag(NotificationsTelemetry.KindTag, run.Kind)
            .SetTag(NotificationsTelemetry.AttemptTag, attempt);
        try
        {
            Result result = await SendAsync(run, attempt, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(NotificationsTelemetry.OutcomeTag, result switch
            {
                Result.Sent => "sent",
                Result.AlreadyDelivered => "already_delivered",
                Result.ClaimedElsewhere => "claimed_elsewhere",
                _ => "obsolete",
            });
            return result;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetTag(NotificationsTelemetry.OutcomeTag, "failed").SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            _telemetry.Failed(run.Channel.Name, run.Kind);
            throw;
        }
    }

    private async Task<Result> SendAsync(MessageRun run, int attempt, CancellationToken cancellationToken)
    {
        DeliveryWork work = run.Work;

        // A message recorded as delivered (what recovery sweeps mostly find) costs one read, no claim. Otherwise it is claimed (or
        // renewed) and the record read again: a host that sent it records it before releasing, so whoever claims next sees it.
        if (!run.Claimed && await _store.IsDeliveredAsync(run.Key, cancellationToken).ConfigureAwait(false))
        {
            return Result.AlreadyDelivered;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (!await _store.TryClaimDeliveryAsync(run.Key, run.Owner, now, now + _lease, cancellationToken).ConfigureAwait(false))
        {
            NotificationsLog.ClaimedElsewhere(_logger, work.Approval.Id, run.Kind, run.Channel.Name);
            return Result.ClaimedElsewhere;
        }

        run.Claimed = true;
        if (await _store.IsDeliveredAsync(run.Key, cancellationToken).ConfigureAwait(false))
        {
            return Result.AlreadyDelivered;
        }

        PendingApproval approval = work.Approval;
        if (work.Kind is ApprovalNotificationKind.Pending or ApprovalNotificationKind.Escalated)
        {
            // A request is worth sending only while the approval waits; read it fresh, it may have been decided meanwhile.
            try
            {
                approval = await _approvals.GetAsync(approval.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (ApprovalNotFoundException)
            {
                return Result.Obsolete;
            }

            if (approval.Status != ApprovalStatus.Pending || !approval.AwaitingApproval.Any())
            {
                NotificationsLog.RequestObsolete(_logger, approval.Id, approval.Status, run.Channel.Name);
                return Result.Obsolete;
            }
        }

        ApprovalDelivery delivery = new(work.Kind, approval, work.CallId, work.IsEscalation, attempt);
        await _timeout.ExecuteAsync(static (state, token) => new ValueTask(state.Channel.DeliverAsync(state.Delivery, token)), (run.Channel, Delivery: delivery), cancellationToken)
            .ConfigureAwait(false);
        NotificationsLog.Delivered(_logger, approval.Id, run.Kind, run.Channel.Name, attempt);
        _telemetry.Sent(run.Channel.Name, run.Kind);
        return Result.Sent;
    }

    private async Task RecordAsync(MessageRun run)
    {
        try
        {
            // Not cancelled by a stop: a message that went out must be recorded, or the next start would send it again.
            await _store.MarkDeliveredAsync(run.Key, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            NotificationsLog.RecordFailed(_logger, exception, run.Work.Approval.Id, run.Kind, run.Channel.Name);
        }
    }

    private async Task ReleaseAsync(MessageRun run)
    {
        if (!run.Claimed)
        {
            return;
        }

        try
        {
            // Not cancelled by a stop either: released at once, another host need not wait for the lease to end.
            await _store.ReleaseDeliveryClaimAsync(run.Key, run.Owner, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            NotificationsLog.ReleaseFailed(_logger, exception, run.Work.Approval.Id, run.Kind, run.Channel.Name);
        }
    }

    private ValueTask OnRetry(OnRetryArguments<object> args)
    {
        if (args.Context.Properties.TryGetValue(RunKey, out MessageRun? run))
        {
            // The delay logged is the delay Polly waits next, on the host's clock.
            NotificationsLog.DeliveryRetrying(_logger, args.Outcome.Exception!, run.Work.Approval.Id, run.Kind, run.Channel.Name, run.Attempt, args.RetryDelay);
            _telemetry.Retried(run.Channel.Name, run.Kind);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One message's progress through its attempts.</summary>
    private sealed class MessageRun(DeliveryWork work, IApprovalChannel channel, string kind)
    {
        public DeliveryWork Work { get; } = work;

        public IApprovalChannel Channel { get; } = channel;

        public string Kind { get; } = kind;

        public string Key { get; } = work.Key(channel.Name);

        public int Attempt { get; set; }

        /// <summary>Gets who claims the message: this delivery on this host, across its attempts.</summary>
        public string Owner { get; } = Guid.NewGuid().ToString("N");

        public bool Claimed { get; set; }
    }
}
