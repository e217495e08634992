using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// Finds the changes other app servers made in the shared store, for the console's live updates: one reader per process, running
/// only while a console page that wants it is open. Each read lists the newest pending approvals (<see cref="Window"/>, one store
/// query of ids and versions) and compares them with what it knew: an id it did not know (held elsewhere), a higher version (a
/// sign-off or an escalation elsewhere), an id gone from the list (decided, expired or cancelled elsewhere). It reads each such
/// approval once and hands it to the feed as a change. Changes this process saved (<see cref="Saw"/>) are known already and not
/// told twice. A failed read is logged and tried again at the next interval; it never ends a page's stream. Thread-safe.
/// </summary>
internal sealed class ConsoleChangePoller(IServiceProvider services, Action<ApprovalNotification> publish)
{
    /// <summary>The most pending approvals one read lists (the newest); changes beyond them are not live.</summary>
    public const int Window = 1000;

    private readonly object _gate = new();
    private TimeSpan? _interval;
    private int _watchers;
    private Run? _run;

    /// <summary>Asks for reads every <paramref name="interval"/> (a mapped console's setting); the shortest interval asked for wins.</summary>
    public void Enable(TimeSpan? interval)
    {
        lock (_gate)
        {
            if (interval is { } value && value > TimeSpan.Zero && (_interval is null || value < _interval))
            {
                _interval = value;
            }
        }
    }

    /// <summary>A page opened: starts reading if it is the first. Returns <see langword="false"/> when no console asked for reads.</summary>
    public bool Join()
    {
        lock (_gate)
        {
            if (_interval is not { } interval)
            {
                return false;
            }

            if (++_watchers == 1)
            {
                CancellationToken stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
                _run = new Run(CancellationTokenSource.CreateLinkedTokenSource(stopping));
                _ = RunAsync(_run, interval);
            }

            return true;
        }
    }

    /// <summary>A page closed: stops reading after the last.</summary>
    public void Leave()
    {
        lock (_gate)
        {
            if (--_watchers == 0 && _run is { } run)
            {
                _run = null;
                run.Stop.Cancel();
            }
        }
    }

    /// <summary>A change saved in this process (already pushed to the pages): remembered so a read does not tell it again.</summary>
    public void Saw(PendingApproval approval)
    {
        lock (_gate)
        {
            if (_run is { } run && (!run.Known.TryGetValue(approval.Id, out Seen seen) || seen.Version < approval.Version))
            {
                run.Known[approval.Id] = new Seen(approval.Version, approval.Status == ApprovalStatus.Pending);
            }
        }
    }

    private async Task RunAsync(Run run, TimeSpan interval)
    {
        CancellationToken cancellationToken = run.Stop.Token;
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger("HumanInLoop.AspNetCore.ApprovalConsole") ?? NullLogger.Instance;
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        try
        {
            await Task.Yield(); // off the caller's request
            ApprovalService? approvals = null;
            bool baseline = true;
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    approvals ??= services.GetRequiredService<ApprovalService>();
                    await PollAsync(run, approvals, baseline, logger, cancellationToken);
                    baseline = false;
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    Log.ConsolePollFailed(logger, exception, interval);
                }

                await Task.Delay(interval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The last page closed, or the host is stopping.
        }
        catch (ObjectDisposedException)
        {
            // The host's services were disposed while a read was under way.
        }
        finally
        {
            run.Stop.Dispose();
        }
    }

    private async Task PollAsync(Run run, ApprovalService approvals, bool baseline, ILogger logger, CancellationToken cancellationToken)
    {
        StatePage page = await approvals.Store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = Window, IncludeHistory = false }, cancellationToken);
        List<(string Id, Seen Expected, bool Created)> changed = [];
        List<(string Id, Seen Expected)> gone = [];
        lock (_gate)
        {
            HashSet<string> listed = new(page.Entries.Count, StringComparer.Ordinal);
            foreach (StateEntry entry in page.Entries)
            {
                listed.Add(entry.Id);
                bool known = run.Known.TryGetValue(entry.Id, out Seen seen);
                if (known && seen.Version >= entry.Version)
                {
                    continue; // known already, or this process saved a later change (the list was read before it)
                }

                Seen listedNow = new(entry.Version, Pending: true);
                run.Known[entry.Id] = listedNow;
                if (!baseline)
                {
                    changed.Add((entry.Id, listedNow, !known));
                }
            }

            foreach ((string id, Seen seen) in run.Known.Where(k => !listed.Contains(k.Key)).ToList())
            {
                if (seen.Pending)
                {
                    gone.Add((id, seen)); // left the list: decided, expired or cancelled elsewhere, or pushed out by newer ones
                }
                else
                {
                    run.Known.Remove(id); // this process saved its last change and told the pages
                }
            }
        }

        foreach ((string id, Seen expected, bool created) in changed)
        {
            await TellAsync(run, approvals, id, expected, leftList: false, created, logger, cancellationToken);
        }

        foreach ((string id, Seen expected) in gone)
        {
            await TellAsync(run, approvals, id, expected, leftList: true, created: false, logger, cancellationToken);
        }
    }

    // Reads one approval that changed elsewhere and tells the pages, unless this process saved a change of it meanwhile (what it
    // knows is no longer what the list showed: the pages were told then). An approval that left the list is forgotten afterwards.
    private async Task TellAsync(
        Run run, ApprovalService approvals, string id, Seen expected, bool leftList, bool created, ILogger logger, CancellationToken cancellationToken)
    {
        PendingApproval? approval;
        try
        {
            approval = await approvals.GetAsync(id, cancellationToken);
        }
        catch (ApprovalNotFoundException)
        {
            approval = null;
        }
        catch (Exception exception) when (exception is ApprovalStateFormatException or ApprovalIntegrityException)
        {
            Log.ConsolePollUnreadable(logger, exception, id);
            approval = null;
        }

        bool tell = false;
        lock (_gate)
        {
            bool untouched = run.Known.TryGetValue(id, out Seen now) && now == expected;
            if (approval is not null && untouched)
            {
                // One that left the list at the version known is still pending, pushed out of the window by newer ones: nothing to tell.
                tell = !leftList || approval.Version > expected.Version;
                if (!leftList)
                {
                    run.Known[id] = new Seen(approval.Version, approval.Status == ApprovalStatus.Pending);
                }
            }

            // A listed one that cannot be read stays known at its listed version: read again (and logged) only when it changes.
            if (leftList && untouched)
            {
                run.Known.Remove(id);
            }
        }

        if (tell)
        {
            publish(new ApprovalNotification(KindOf(approval!, created), approval!));
        }
    }

    private static ApprovalNotificationKind KindOf(PendingApproval approval, bool created) => approval.Status switch
    {
        ApprovalStatus.Pending when created => ApprovalNotificationKind.Pending,
        ApprovalStatus.Expired => ApprovalNotificationKind.Expired,
        ApprovalStatus.Cancelled => ApprovalNotificationKind.Cancelled,
        ApprovalStatus.Completed => ApprovalNotificationKind.Completed,
        ApprovalStatus.InDoubt => ApprovalNotificationKind.InDoubt,
        _ => ApprovalNotificationKind.Decided,
    };

    /// <summary>The last version known of an approval, and whether it was pending then.</summary>
    private readonly record struct Seen(long Version, bool Pending);

    /// <summary>One period of reading, from the first page opened to the last closed: what it knows, and how to stop it.</summary>
    private sealed class Run(CancellationTokenSource stop)
    {
        public CancellationTokenSource Stop { get; } = stop;

        public Dictionary<string, Seen> Known { get; } = new(StringComparer.Ordinal);
    }
}
