using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>
/// The host's entry point to HumanInLoop: evaluates the policies for the approval gate, and lets a host list, read, decide and
/// resume approvals with nothing but the <see cref="IStateStore"/>, the chat pipeline and the tools.
/// </summary>
/// <remarks>
/// Stateless and thread-safe: every operation reads the store, and every change is a compare-and-swap there, so any number of
/// instances in any number of processes may share one store. Register one with <c>services.AddHumanInLoop(...)</c> or create it
/// directly and pass it to <c>UseApprovalGate</c>. It is a thin facade over small internal parts (docs/concepts.md): the policy
/// evaluator and the holder the gate uses, the decider, the expirer, the resumer with its claim lease and call runner, the plan
/// runner, and the records that alone read and write the stored format.
/// </remarks>
public sealed class ApprovalService
{
    private readonly ApprovalRecords _records;
    private readonly ApprovalExpirer _expirer;
    private readonly ApprovalDecider _decider;
    private readonly ToolApprovalInterop _interop;
    private readonly ApprovalResumer _resumer;
    private readonly PlanRunner _plans;
    private readonly TenantViews _tenants;

    /// <summary>Initializes a new instance of the <see cref="ApprovalService"/> class.</summary>
    /// <param name="store">Where approvals are kept.</param>
    /// <param name="options">The policies and settings; <see langword="null"/> for defaults (every tool requires approval).</param>
    /// <param name="loggerFactory">Where to log, if anywhere.</param>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is invalid (the message names it).</exception>
    public ApprovalService(IStateStore store, ApprovalOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(store, options, [], [], loggerFactory)
    {
    }

    internal ApprovalService(
        IStateStore store, ApprovalOptions? options, IEnumerable<IApprovalPolicy> additionalPolicies, IEnumerable<IApprovalNotifier> additionalNotifiers, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new ApprovalOptions();
        ApprovalOptionsValidator.ThrowIfInvalid(options, nameof(options));
        Store = store;
        _tenants = new TenantViews(view => new ApprovalService(view, options, additionalPolicies, additionalNotifiers, loggerFactory));
        RequireProtectedTools = options.RequireProtectedTools;
        ILogger logger = (ILogger?)loggerFactory?.CreateLogger<ApprovalService>() ?? NullLogger.Instance;
        HumanInLoopTelemetry telemetry = HumanInLoopTelemetry.Create(options.MeterFactory);
        ApprovalClock clock = new(options.TimeProvider ?? TimeProvider.System);
        NotificationFanout notifications = new([.. options.Notifiers, .. additionalNotifiers], logger);

        _records = new ApprovalRecords(store, options.IntegrityKey.ToArray(), clock, logger);
        ResumingRepeats resuming = new();
        IApprovalPolicy[] marker = options.ApprovalRequiredAIFunctionPolicy is { } markerPolicy ? [markerPolicy] : [];
        Evaluator = new PolicyEvaluator([.. options.Policies, .. additionalPolicies, .. marker], options.UnmatchedToolVerdict, options.PolicyVersion);
        Judge = new CallJudge(
            Evaluator,
            options.ShadowPolicies.Count == 0 ? null : new PolicyEvaluator([.. options.ShadowPolicies, .. marker], options.UnmatchedToolVerdict, options.PolicyVersion),
            store is IGrantStore grantStore ? new GrantMatcher(grantStore, clock, options.PreventSelfApproval) : null,
            options.RejectedRepeatLimit == 0 ? null : new RetryGuard(_records, resuming, options.RejectedRepeatLimit));
        Recorder = options.RecordCalls && store is ICallRecordStore callRecords ? new CallRecorder(callRecords, clock, logger) : null;
        Grants = new StandingGrants(store, new HashSet<string>(options.Granters, StringComparer.Ordinal), clock);
        History = new ApprovalHistory(_records, options.UnmatchedToolVerdict, logger);
        Holder = new ApprovalHolder(_records, clock, options.DefaultExpiration, telemetry, notifications, logger);
        _expirer = new ApprovalExpirer(_records, clock, telemetry, notifications, new ApprovalEscalator(_records, clock, notifications, logger), logger);
        _decider = new ApprovalDecider(_records, Evaluator, _expirer, new ApproverAuthorization(options.PreventSelfApproval), clock, telemetry, notifications,
            new GrantIssuer(store, new HashSet<string>(options.Granters, StringComparer.Ordinal), _records, clock), logger);
        Refusals = new ApprovalResponseRefusals(logger, telemetry);
        _interop = new ToolApprovalInterop(_records, _decider, Refusals);
        ClaimLease lease = new(_records, clock, options.ExecutionLease, logger);
        _resumer = new ApprovalResumer(
            _records, new ResumeClaimer(_records, _expirer, lease, clock), new CallRunner(_records, lease, options.IdempotentTools, logger),
            lease, clock, telemetry, notifications, logger, resuming, options.RejectedRepeatLimit);
        _plans = new PlanRunner(Judge, Recorder, Holder, _resumer);
    }

    /// <summary>Gets the store this service reads and writes (for a tenant's service, <see cref="ForTenant"/>, that tenant's view of it).</summary>
    public IStateStore Store { get; }

    /// <summary>Gets the tenant this service is scoped to (<see cref="ForTenant"/>), or <see langword="null"/> for the whole store.</summary>
    public string? TenantId => (Store as TenantStateStore)?.TenantId;

    internal PolicyEvaluator Evaluator { get; } // the active policies
    internal CallJudge Judge { get; } // where the gate has its calls judged: the policies, the standing grants and the shadow policies
    internal CallRecorder? Recorder { get; } // where calls decided at once are recorded, or null when they are not
    internal ApprovalHolder Holder { get; } // where the gate holds a batch that needs a person
    internal ApprovalResponseRefusals Refusals { get; } // where refused approval responses are logged and counted (security events)
    internal bool RequireProtectedTools { get; } // whether the gate refuses tools not passed through ProtectTools

    /// <summary>Gets this service scoped to one tenant (<see cref="CallerContext.TenantId"/>; docs/security.md): it lists, reads, decides,
    /// resumes, grants, exports, replays, reports and holds that tenant's approvals only (filtered in the store's query), and answers
    /// another tenant's ids exactly like unknown ids. Kept per tenant: cheap to call per request.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <returns>The tenant's service (this one, when it is that tenant's already).</returns>
    /// <exception cref="ArgumentException"><paramref name="tenantId"/> is empty or white space.</exception>
    /// <exception cref="InvalidOperationException">This service is another tenant's (a scope never widens).</exception>
    public ApprovalService ForTenant(string tenantId) => _tenants.For(this, tenantId);

    /// <summary>Gets the standing grants ("don't ask again") approvers made: list, read and revoke them.</summary>
    public StandingGrants Grants { get; }

    /// <summary>Gets the recorded calls and decisions: read them back, report on them, replay candidate policies over them and export them.</summary>
    public ApprovalHistory History { get; }

    /// <summary>
    /// Waits until every call record queued so far (<see cref="ApprovalOptions.RecordCalls"/>) is written to the store. Call it
    /// before a report that must include the latest calls, and when the host stops.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the records are durable.</returns>
    public Task FlushCallRecordsAsync(CancellationToken cancellationToken = default) =>
        Recorder?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

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
    public Task<PendingApproval> GetAsync(string approvalId, CancellationToken cancellationToken = default) =>
        _records.LoadAsync(approvalId, cancellationToken);

    /// <summary>Lists approvals, newest first: for an approver's inbox (<c>Status = Pending</c>) or a conversation's history.</summary>
    /// <param name="query">The filter and page.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One page of approvals; the ids of any that cannot be read are listed apart.</returns>
    public Task<ApprovalPage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _records.ListAsync(query, cancellationToken);
    }

    /// <summary>Records a person's decision on one call. When the last waiting call is decided, the approval becomes <see cref="ApprovalStatus.Decided"/> and can be resumed.</summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="callId">The call id.</param>
    /// <param name="decision">Approve, reject, approve with edited arguments, or answer in place of the tool; built from an authenticated identity.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after the decision. A store that keeps conversations apart is not asked for this one (a decision does not need it): its <see cref="PendingApproval.Messages"/> then throw <see cref="InvalidOperationException"/>; read it with <see cref="GetAsync"/> to see them.</returns>
    /// <exception cref="ApprovalNotFoundException">No such approval or call.</exception>
    /// <exception cref="ApprovalConflictException">The call was already decided, was never pending, or the approval is no longer open.</exception>
    /// <exception cref="ApprovalExpiredException">The deadline passed; the approval is now recorded as expired.</exception>
    /// <exception cref="ApprovalForbiddenException">The approver may not decide this call, or a policy denies the edited arguments.</exception>
    /// <exception cref="ApprovalIntegrityException">The call no longer has <see cref="ApprovalDecision.ExpectedFingerprint"/>, or the state was altered.</exception>
    public Task<PendingApproval> DecideAsync(string approvalId, string callId, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        _decider.DecideAsync(approvalId, callId, decision, cancellationToken);

    /// <summary>Withdraws an approval that has not started to run; nothing of it will run.</summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="approver">Who withdraws it.</param>
    /// <param name="reason">Why, as recorded.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The cancelled approval. A store that keeps conversations apart is not asked for this one (a decision does not need it): its <see cref="PendingApproval.Messages"/> then throw <see cref="InvalidOperationException"/>; read it with <see cref="GetAsync"/> to see them.</returns>
    public Task<PendingApproval> CancelAsync(string approvalId, Approver approver, string reason, CancellationToken cancellationToken = default) =>
        _decider.CancelAsync(approvalId, approver, reason, cancellationToken);

    /// <summary>
    /// Records what a person found out about a call that was interrupted while running (<see cref="CallExecutionStatus.InDoubt"/>).
    /// It is never re-run; the model is told the outcome the person reports. When no call is left in doubt, the approval can be resumed.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="callId">The call in doubt.</param>
    /// <param name="approver">Who reconciled it.</param>
    /// <param name="tookEffect">Whether the call's effect happened (for example, the transfer is on the statement).</param>
    /// <param name="note">What was found, recorded and sent to the model.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after reconciliation. A store that keeps conversations apart is not asked for this one (a decision does not need it): its <see cref="PendingApproval.Messages"/> then throw <see cref="InvalidOperationException"/>; read it with <see cref="GetAsync"/> to see them.</returns>
    /// <exception cref="ApprovalForbiddenException">The approver may not decide this call (the same rules as approving it).</exception>
    public Task<PendingApproval> ResolveInDoubtAsync(
        string approvalId, string callId, Approver approver, bool tookEffect, string note, CancellationToken cancellationToken = default) =>
        _decider.ResolveInDoubtAsync(approvalId, callId, approver, tookEffect, note, cancellationToken);

    /// <summary>
    /// Moves every pending approval whose deadline has passed to <see cref="ApprovalStatus.Expired"/> (recorded, notified), and
    /// escalates every undecided call whose escalation is due (<see cref="PolicyVerdict.Escalation"/>; recorded, notified).
    /// Call it periodically from a background service; decisions and resumes also expire approvals they find due, and decisions
    /// perform the escalations they find due.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many approvals this call expired (escalations are not counted).</returns>
    public Task<int> ExpireDueAsync(CancellationToken cancellationToken = default) => _expirer.ExpireDueAsync(cancellationToken);

    /// <summary>
    /// Shows the calls waiting for a person as Microsoft.Extensions.AI <see cref="ToolApprovalRequestContent"/>s, for UIs built on
    /// those types. Each request id is opaque: echo it back unchanged in the <see cref="ToolApprovalResponseContent"/>, which
    /// <see cref="ApplyApprovalResponseAsync(ToolApprovalResponseContent, Approver, CancellationToken)"/> records.
    /// </summary>
    /// <param name="approval">The approval.</param>
    /// <returns>One request per call awaiting approval.</returns>
    public static IReadOnlyList<ToolApprovalRequestContent> CreateApprovalRequests(PendingApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return ToolApprovalInterop.CreateRequests(approval);
    }

    /// <summary>
    /// Records a decision that arrives as a Microsoft.Extensions.AI <see cref="ToolApprovalResponseContent"/> answering a request of
    /// <see cref="CreateApprovalRequests"/>; its request id leads to the approval, so the response alone is enough. It is accepted
    /// only when it matches a stored waiting call; what runs are the stored arguments, never the ones in the response. When the
    /// returned approval is <see cref="ApprovalStatus.Decided"/>, resume it by its <see cref="PendingApproval.Id"/>.
    /// </summary>
    /// <param name="response">The response content.</param>
    /// <param name="approver">Who decided, as authenticated by the host (never taken from the response).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after the decision. A store that keeps conversations apart is not asked for this one (a decision does not need it): its <see cref="PendingApproval.Messages"/> then throw <see cref="InvalidOperationException"/>; read it with <see cref="GetAsync"/> to see them.</returns>
    /// <exception cref="UnmatchedApprovalResponseException">The response answers no waiting call: forged, altered or never pending (a security event, logged and counted).</exception>
    /// <exception cref="ApprovalConflictException">The call was already decided, or the approval is no longer open.</exception>
    /// <exception cref="ApprovalForbiddenException">The approver may not decide this call.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026", Justification = "The first parameters differ in type; no call is ambiguous.")]
    public Task<PendingApproval> ApplyApprovalResponseAsync(ToolApprovalResponseContent response, Approver approver, CancellationToken cancellationToken = default) =>
        _interop.ApplyResponseAsync(null, response, approver, cancellationToken);

    /// <summary>Records a decision that arrives as a <see cref="ToolApprovalResponseContent"/>, like the overload without an id, for the approval <paramref name="approvalId"/> only.</summary>
    /// <param name="approvalId">The approval the response must answer.</param>
    /// <param name="response">The response content.</param>
    /// <param name="approver">Who decided, as authenticated by the host (never taken from the response).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after the decision. A store that keeps conversations apart is not asked for this one (a decision does not need it): its <see cref="PendingApproval.Messages"/> then throw <see cref="InvalidOperationException"/>; read it with <see cref="GetAsync"/> to see them.</returns>
    /// <exception cref="UnmatchedApprovalResponseException">The response answers no waiting call of that approval (a security event, logged and counted).</exception>
    public Task<PendingApproval> ApplyApprovalResponseAsync(string approvalId, ToolApprovalResponseContent response, Approver approver, CancellationToken cancellationToken = default) =>
        _interop.ApplyResponseAsync(approvalId ?? throw new ArgumentNullException(nameof(approvalId)), response, approver, cancellationToken);

    /// <summary>
    /// Continues a decided approval: claims it atomically, runs the approved and auto-allowed calls (each at most once),
    /// answers every call of the batch, and sends the conversation back through <paramref name="chatClient"/>.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="chatClient">The same pipeline the conversation used (function invocation outside the approval gate).</param>
    /// <param name="options">Options with the tools, supplied again by name (tools are never serialized). A <see cref="CallerContext"/> on them must name the approval's user and tenant (else <see cref="ApprovalForbiddenException"/>, nothing runs); with none, the stored one is used.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The model's answer and the whole conversation.</returns>
    /// <exception cref="PendingApprovalException">The model made another gated call; a new approval was saved.</exception>
    /// <exception cref="ApprovalConflictException">Not decided yet, claimed by another resume, already completed, cancelled, or a call is in doubt.</exception>
    /// <exception cref="ApprovalExpiredException">The deadline passed before every call was decided.</exception>
    /// <exception cref="ApprovalIntegrityException">What would run is not what was approved.</exception>
    /// <exception cref="ApprovalToolMissingException">A tool to run is missing from <paramref name="options"/> (an MCP server no longer offers it); nothing ran, the approval is unchanged.</exception>
    /// <exception cref="InvalidOperationException">The approval holds a plan (resume it with <see cref="ResumePlanAsync"/>).</exception>
    public Task<ResumeResult> ResumeAsync(string approvalId, IChatClient chatClient, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _resumer.ResumeAsync(approvalId, chatClient, options, cancellationToken);

    /// <summary>
    /// Continues a decided approval like <see cref="ResumeAsync"/>, streaming: first one update with the tool results
    /// (role <see cref="ChatRole.Tool"/>), then the model's updates.
    /// </summary>
    /// <remarks>
    /// Like every async iterator, it does nothing until the first <c>MoveNextAsync</c>: the claim, the tool calls and the
    /// typed errors of <see cref="ResumeAsync"/> happen then. Stopping the enumeration early gives the claim back and keeps
    /// the outcome of every call that ran.
    /// </remarks>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="chatClient">The same pipeline the conversation used.</param>
    /// <param name="options">Options with the tools, supplied again by name; a <see cref="CallerContext"/> on them must name the approval's user and tenant.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The updates.</returns>
    /// <exception cref="ApprovalToolMissingException">A tool to run is missing from <paramref name="options"/>; nothing ran, the approval is unchanged.</exception>
    public IAsyncEnumerable<ChatResponseUpdate> ResumeStreamingAsync(
        string approvalId, IChatClient chatClient, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _resumer.ResumeStreamingAsync(approvalId, chatClient, options, cancellationToken);

    /// <summary>
    /// Runs a typed plan under the same policies and store as the approval gate: every action is evaluated in code; allowed
    /// actions run at once (in order), denied ones never run, and the ones that need a person are saved together as one
    /// <see cref="PendingApproval"/> (origin <see cref="ApprovalOrigin.ActionPlan"/>) to decide and resume with <see cref="ResumePlanAsync"/>.
    /// </summary>
    /// <param name="actions">The plan.</param>
    /// <param name="tools">The tools that carry the actions out, by name.</param>
    /// <param name="context">Who and what the plan is about.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Each action's outcome, and the approval holding the rest, if any.</returns>
    /// <exception cref="InvalidOperationException">An action names a tool that is not supplied; nothing ran.</exception>
    public Task<PlanResult> RunPlanAsync(
        IEnumerable<PlannedAction> actions, IEnumerable<AITool> tools, CallerContext? context = null, CancellationToken cancellationToken = default) =>
        _plans.RunAsync(actions, tools, context, cancellationToken);

    /// <summary>
    /// Continues a decided plan approval: claims it atomically and runs the approved actions at most once, exactly like
    /// <see cref="ResumeAsync"/> but without a model to call afterwards.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="tools">The tools that carry the actions out, by name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The outcome of every held action.</returns>
    /// <exception cref="ApprovalToolMissingException">A tool to run is not among <paramref name="tools"/>; nothing ran, the approval is unchanged.</exception>
    public Task<PlanResult> ResumePlanAsync(string approvalId, IEnumerable<AITool> tools, CancellationToken cancellationToken = default) =>
        _plans.ResumeAsync(approvalId, tools, cancellationToken);
}
