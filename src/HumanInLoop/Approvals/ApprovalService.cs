using System.Security.Cryptography;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop;

/// <summary>
/// The heart of HumanInLoop: evaluates the policies for the approval gate, and lets a host list, read, decide and
/// resume approvals with nothing but the <see cref="IStateStore"/>, the chat pipeline and the tools.
/// </summary>
/// <remarks>
/// Stateless and thread-safe: every operation reads the store, and every change is a compare-and-swap there, so any
/// number of instances in any number of processes may share one store. Register one with
/// <c>services.AddHumanInLoop(...)</c> or create it directly and pass it to <c>UseApprovalGate</c>.
/// </remarks>
public sealed partial class ApprovalService
{
    private const int MaxConcurrentRetries = 16;
    private readonly IApprovalPolicy[] _policies;
    private readonly PolicyVerdict _unmatched;
    private readonly TimeSpan _defaultExpiration;
    private readonly TimeSpan _lease;
    private readonly bool _preventSelfApproval;
    private readonly bool _requireProtectedTools;
    private readonly HashSet<string> _idempotentTools;
    private readonly byte[] _integrityKey;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HumanInLoopTelemetry _telemetry;
    private readonly IApprovalNotifier[] _notifiers;

    /// <summary>Initializes a new instance of the <see cref="ApprovalService"/> class.</summary>
    /// <param name="store">Where approvals are kept.</param>
    /// <param name="options">The policies and settings; <see langword="null"/> for defaults (every tool requires approval).</param>
    /// <param name="loggerFactory">Where to log, if anywhere.</param>
    public ApprovalService(IStateStore store, ApprovalOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(store, options, [], loggerFactory)
    {
    }

    internal ApprovalService(IStateStore store, ApprovalOptions? options, IEnumerable<IApprovalPolicy> additionalPolicies, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new ApprovalOptions();
        Store = store;
        _policies = [.. options.Policies, .. additionalPolicies];
        _unmatched = options.UnmatchedToolVerdict;
        _defaultExpiration = options.DefaultExpiration;
        _lease = options.ExecutionLease;
        _preventSelfApproval = options.PreventSelfApproval;
        _requireProtectedTools = options.RequireProtectedTools;
        _idempotentTools = new HashSet<string>(options.IdempotentTools, StringComparer.Ordinal);
        _integrityKey = options.IntegrityKey.ToArray();
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = (ILogger?)loggerFactory?.CreateLogger<ApprovalService>() ?? NullLogger.Instance;
        _telemetry = HumanInLoopTelemetry.Create(options.MeterFactory);
        _notifiers = [.. options.Notifiers];
    }

    /// <summary>Gets the store this service reads and writes.</summary>
    public IStateStore Store { get; }

    internal bool RequireProtectedTools => _requireProtectedTools;

    /// <summary>
    /// Wraps tools so that they run only for calls the approval gate allowed, or approved calls a resume runs. Pass the
    /// result as <see cref="ChatOptions.Tools"/>: it closes the bypass by which <see cref="FunctionInvokingChatClient"/> runs
    /// tools named in <see cref="ToolApprovalResponseContent"/>s found in the input, which the gate never sees.
    /// </summary>
    /// <param name="tools">The tools; tools that are not functions (hosted tools) are returned unchanged.</param>
    /// <returns>The protected tools, in the same order.</returns>
    public static IList<AITool> ProtectTools(params IEnumerable<AITool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        return [.. tools.Select(t => t is AIFunction f && !GateProtectedFunction.IsProtected(f) ? new GateProtectedFunction(f) : t)];
    }

    /// <summary>Reads one approval.</summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A snapshot of the approval.</returns>
    /// <exception cref="ApprovalNotFoundException">No such approval.</exception>
    /// <exception cref="ApprovalStateFormatException">The stored approval cannot be read.</exception>
    /// <exception cref="ApprovalIntegrityException">The stored audit trail was altered.</exception>
    public async Task<PendingApproval> GetAsync(string approvalId, CancellationToken cancellationToken = default) =>
        await LoadAsync(approvalId, cancellationToken);

    /// <summary>Lists approvals, newest first: for an approver's inbox (<c>Status = Pending</c>) or a conversation's history.</summary>
    /// <param name="query">The filter and page.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One page of approvals.</returns>
    public async Task<ApprovalPage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        StatePage page = await Store.ListAsync(query, cancellationToken);
        List<PendingApproval> approvals = new(page.Entries.Count);
        List<string>? unreadable = null;
        foreach (StateEntry entry in page.Entries)
        {
            try
            {
                approvals.Add(Read(entry));
            }
            catch (Exception exception) when (exception is ApprovalStateFormatException or ApprovalIntegrityException)
            {
                // One bad record must not hide every other approval from the people who decide them.
                Log.UnreadableApproval(_logger, exception, entry.Id);
                (unreadable ??= []).Add(entry.Id);
            }
        }

        return new ApprovalPage(approvals, page.ContinuationToken, unreadable ?? (IReadOnlyList<string>)[]);
    }

    /// <summary>
    /// Shows the calls waiting for a person as Microsoft.Extensions.AI <see cref="ToolApprovalRequestContent"/>s, for UIs
    /// built on those types. Answer them with <see cref="ApplyApprovalResponseAsync"/>.
    /// </summary>
    /// <param name="approval">The approval.</param>
    /// <returns>One request per call awaiting approval; the request id names the approval and the call.</returns>
    public static IReadOnlyList<ToolApprovalRequestContent> CreateApprovalRequests(PendingApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        List<ToolApprovalRequestContent> requests = [];
        foreach (PendingToolCall call in approval.AwaitingApproval)
        {
            FunctionCallContent toolCall = new(call.CallId, call.ToolName, ToolArguments.ToDictionary(call.Arguments));
            requests.Add(new ToolApprovalRequestContent(RequestId(approval.Id, call.CallId), toolCall));
        }

        return requests;
    }

    internal static string RequestId(string approvalId, string callId) => $"hil:{approvalId}:{callId}";

    private static string NewId(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// Moves every pending approval whose deadline has passed to <see cref="ApprovalStatus.Expired"/> (recorded, notified).
    /// Call it periodically from a background service; decisions and resumes also expire approvals they find due.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many approvals this call expired.</returns>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        int expired = 0;
        string? token = null;
        do
        {
            StatePage page = await Store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 200, ContinuationToken = token }, cancellationToken);
            foreach (StateEntry entry in page.Entries)
            {
                if (entry.ExpiresAt > Now())
                {
                    continue;
                }

                for (int attempt = 0; attempt < MaxConcurrentRetries; attempt++)
                {
                    PendingApproval approval;
                    try
                    {
                        approval = await LoadAsync(entry.Id, cancellationToken);
                    }
                    catch (Exception exception) when (exception is ApprovalStateFormatException or ApprovalIntegrityException)
                    {
                        // Left as it is for a person to look at; the sweep goes on with the others.
                        Log.UnreadableApproval(_logger, exception, entry.Id);
                        break;
                    }

                    bool? result = await ExpireIfDueAsync(approval, cancellationToken);
                    if (result is null or true)
                    {
                        expired += result is true ? 1 : 0;
                        break;
                    }
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
        return expired;
    }

    private async Task NotifyAsync(ApprovalNotificationKind kind, PendingApproval approval, string? callId = null)
    {
        foreach (IApprovalNotifier notifier in _notifiers)
        {
            try
            {
                await notifier.NotifyAsync(new ApprovalNotification(kind, approval, callId), CancellationToken.None);
            }
            catch (Exception exception)
            {
                Log.NotifierFailed(_logger, exception, approval.Id, kind, notifier.GetType().Name);
            }
        }
    }

    private DateTimeOffset Now()
    {
        // Whole milliseconds, so that every store (SQLite ticks, PostgreSQL microseconds) keeps times exactly.
        long ms = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }
}
