using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// The claim a resume holds on an approval while it runs calls and the model answers: taken by one compare-and-swap (exactly
/// one resumer wins), renewed every third of <see cref="ApprovalOptions.ExecutionLease"/> while work goes on, and lost for good
/// when another writer changes the record (a resume whose lease lapsed was taken for dead and recovered by another).
/// </summary>
internal sealed class ClaimLease(ApprovalRecords records, ApprovalClock clock, TimeSpan lease, ILogger logger)
{
    /// <summary>Writes the claim of a new owner on a decided (or lapsed) approval.</summary>
    /// <param name="approval">The approval, as read.</param>
    /// <param name="recovering">The owner whose lease lapsed, if any.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The new owner, or <see langword="null"/> when another writer changed the approval first.</returns>
    public async Task<string?> TakeAsync(PendingApproval approval, string? recovering, CancellationToken cancellationToken)
    {
        string owner = ApprovalIds.New("claim_");
        approval.Status = ApprovalStatus.Executing;
        approval.ClaimedBy = owner;
        approval.ClaimExpiresAt = clock.Now() + lease;
        records.Audit(approval, ApprovalAuditEvent.Claimed, "system",
            reason: recovering is null ? $"Claimed by {owner}." : $"Claimed by {owner}, recovering after the lease of {recovering} lapsed.");
        if (!await records.TrySaveAsync(approval, cancellationToken))
        {
            return null;
        }

        ApprovalLog.ApprovalClaimed(logger, approval.Id, owner, recovering is not null);
        return owner;
    }

    /// <summary>Extends the lease from now, to be saved with the change that comes with it.</summary>
    public void Extend(PendingApproval approval) => approval.ClaimExpiresAt = clock.Now() + lease;

    /// <summary>Saves a change made under the claim.</summary>
    /// <exception cref="ApprovalConflictException">The claim was lost to another resume; this one must stop and run nothing more.</exception>
    public async Task SaveOrLoseAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        if (!await records.TrySaveAsync(approval, cancellationToken))
        {
            throw new ApprovalConflictException(approval.Id, ApprovalStatus.Executing,
                $"The claim on approval '{approval.Id}' was lost to another resume (its lease lapsed); this resume stops and runs nothing more.");
        }
    }

    /// <summary>
    /// Keeps the claim while a tool runs or the model answers (no other write to the approval happens meanwhile); work that
    /// finished at once needs no renewal. The renewal is stopped, and a write in flight awaited, before this returns or throws.
    /// </summary>
    public async ValueTask<T> KeepDuringAsync<T>(PendingApproval approval, ValueTask<T> work)
    {
        if (work.IsCompleted)
        {
            return await work;
        }

        using CancellationTokenSource stop = new();
        Task renewing = RenewAsync(approval, stop.Token);
        try
        {
            return await work;
        }
        finally
        {
            stop.Cancel();
            await renewing;
        }
    }

    /// <summary>
    /// Extends the claim every third of the lease until <paramref name="stop"/>, so long work is not taken for a dead process. A
    /// streaming resume passes its <paramref name="reader"/>: no renewal while nobody reads, none at all after a lease. A renewal
    /// that loses its compare-and-swap stops renewing; the next save then reports the lost claim.
    /// </summary>
    public async Task RenewAsync(PendingApproval approval, CancellationToken stop, StreamReadProgress? reader = null)
    {
        // One periodic timer for the whole renewal, so the schedule does not drift by the time each save takes (a tick due
        // while a save is still running is not lost). Stopping disposes it: the wait then ends without an exception.
        TimeSpan every = lease / 3;
        using PeriodicTimer timer = new(every, clock.Provider);
        using CancellationTokenRegistration stopping = stop.UnsafeRegister(static state => ((PeriodicTimer)state!).Dispose(), timer);
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None))
            {
                if (stop.IsCancellationRequested || reader?.IdleFor >= lease)
                {
                    return; // the work ended, or its reader went away (the lease has lapsed by now)
                }

                if (reader?.IdleFor >= every)
                {
                    continue; // nobody asked for an update lately: do not keep the claim for them (yet)
                }

                DateTimeOffset? previous = approval.ClaimExpiresAt;
                Extend(approval);

                // Not cancelled by stop: a write that may have reached the store must be seen through, or the version would be stale.
                if (!await records.TrySaveAsync(approval, CancellationToken.None))
                {
                    approval.ClaimExpiresAt = previous;
                    return;
                }

                ApprovalLog.ClaimRenewed(logger, approval.Id, approval.ClaimExpiresAt!.Value);
            }
        }
        catch (Exception exception)
        {
            // The store failed: the claim may lapse; the save after the call finds out and reports it.
            ApprovalLog.ClaimRenewalFailed(logger, exception, approval.Id);
        }
    }
}
