namespace HumanInLoop;

/// <summary>Settings of an <see cref="ApprovalService"/>: the policies, the default for unmatched tools, deadlines and security.</summary>
/// <remarks>
/// <para>
/// Configure before the service is created; the service reads the options then and ignores later changes. With
/// <c>services.AddHumanInLoop(...)</c> these are options in the .NET sense (<c>IOptions&lt;ApprovalOptions&gt;</c>): every
/// <c>AddHumanInLoop</c> or <c>services.Configure&lt;ApprovalOptions&gt;</c> call adds to the same options, and the settings that are data
/// (deadlines, limits, flags, granters, idempotent tools, the integrity key) can be bound from configuration (docs/configuration.md).
/// Policies, notifiers and the clock stay in code.
/// </para>
/// <para>
/// The setters accept any value; the settings are checked together when the <see cref="ApprovalService"/> is built (an
/// <see cref="ArgumentException"/> naming the setting) or, with dependency injection, when the host starts
/// (<c>OptionsValidationException</c>).
/// </para>
/// </remarks>
public sealed class ApprovalOptions
{
    private PolicyVerdict _unmatchedToolDecision = PolicyVerdict.RequireApproval("No approval policy covers this tool, so a person must decide.");

    /// <summary>Gets the policies evaluated for every call, in addition to any <see cref="IApprovalPolicy"/> registered in DI.</summary>
    public IList<IApprovalPolicy> Policies { get; } = [];

    /// <summary>Gets the notifiers told of every saved change, in addition to any <see cref="IApprovalNotifier"/> registered in DI.</summary>
    public IList<IApprovalNotifier> Notifiers { get; } = [];

    /// <summary>
    /// Gets or sets the policy for tools marked with Microsoft.Extensions.AI's <c>ApprovalRequiredAIFunction</c>, evaluated with
    /// <see cref="Policies"/> (Deny over RequireApproval over Allow: an <see cref="ApprovalPolicy.Allow"/> does not release a
    /// marked tool, a <see cref="ApprovalPolicy.Deny"/> still refuses it). Function invocation never asks on its own for a tool
    /// passed through <see cref="ApprovalService.ProtectTools"/>: this policy is how the marker counts.
    /// </summary>
    /// <value>
    /// Default: <see cref="ApprovalPolicy.ApprovalRequiredAIFunctions"/> (every call of a marked tool needs a person). Set one with
    /// your own reason, approvers or deadline to override it; <see langword="null"/> ignores the marker (only <see cref="Policies"/> decide).
    /// </value>
    public IApprovalPolicy? ApprovalRequiredAIFunctionPolicy { get; set; } = ApprovalPolicy.ApprovalRequiredAIFunctions();

    /// <summary>
    /// Gets candidate policies evaluated live beside <see cref="Policies"/> on every call, with the same precedence and the same
    /// <see cref="UnmatchedToolVerdict"/>. Their verdict is recorded on the call (<see cref="RecordedCall.ShadowVerdict"/>) and
    /// never acted on, so a team can watch a candidate on real traffic before switching. A shadow policy that throws is recorded
    /// as an error; it never affects the call.
    /// </summary>
    public IList<IApprovalPolicy> ShadowPolicies { get; } = [];

    /// <summary>
    /// Gets the approver ids and roles that may make standing grants (<see cref="ApprovalDecision.Grant"/>) and revoke any grant.
    /// Empty (the default): nobody may grant. A grant's maker may always revoke it.
    /// </summary>
    public ISet<string> Granters { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets whether calls decided at once (allowed or denied by the policies, allowed by a grant) are recorded in the
    /// store when it keeps call records (<see cref="ICallRecordStore"/>), for <see cref="ApprovalHistory"/>. The default is
    /// <see langword="true"/>. Calls allowed by a grant are recorded before they run; the others are written in the background, in
    /// batches (<see cref="ApprovalService.FlushCallRecordsAsync"/> waits for them).
    /// </summary>
    public bool RecordCalls { get; set; } = true;

    /// <summary>
    /// Gets or sets a label for the version of the policies written in code (the application's build or commit, for example),
    /// recorded first among the versions of the rules in force on every judged call (<see cref="RecordedVerdict.PolicyVersions"/>),
    /// beside the versions that policies whose rules change at run time name themselves (<see cref="PolicyVerdict.Version"/>).
    /// </summary>
    /// <value>Default: <see langword="null"/> (code policies name no version). At most 200 characters, not blank, no control characters.</value>
    public string? PolicyVersion { get; set; }

    /// <summary>Gets or sets what happens to a call no policy has an opinion on.</summary>
    /// <value>Default: require approval (fail closed). Set <see cref="PolicyVerdict.Allow"/> to let unmentioned tools run.</value>
    public PolicyVerdict UnmatchedToolVerdict
    {
        get => _unmatchedToolDecision;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Kind == PolicyVerdictKind.NotApplicable)
            {
                throw new ArgumentException("The default for unmatched tools must allow, require approval or deny.", nameof(value));
            }

            _unmatchedToolDecision = value;
        }
    }

    /// <summary>Gets or sets how long an approval waits for decisions when no policy sets a deadline.</summary>
    /// <value>Default: 3 days. Every approval expires, so it must be greater than zero.</value>
    public TimeSpan DefaultExpiration { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Gets or sets how long a resume's claim lasts before another resume may recover the approval (for a process that died mid-way).
    /// While a tool runs and while the model answers a resume, the claim is renewed every third of this, so long work keeps it.
    /// </summary>
    /// <value>Default: 5 minutes; greater than zero. Choose well more than a store write takes.</value>
    public TimeSpan ExecutionLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets the retry-loop guard's limit. After a person rejects a call, the same call proposed again in the same
    /// conversation (<see cref="CallerContext.ConversationId"/>; same tool, semantically equal arguments) is answered at once with
    /// that rejection and its reason instead of being put to a person again; the repeat that reaches this number stops the
    /// conversation with <see cref="RejectedCallRepeatedException"/>. A rejection made with
    /// <see cref="ApprovalDecision.AskAgainIfRepeated"/> is not guarded: its repeats go to a person as before.
    /// </summary>
    /// <value>Default: 3 (the first and second repeats are answered, the third stops the conversation). 0 turns the guard off; not negative.</value>
    public int RejectedRepeatLimit { get; set; } = 3;

    /// <summary>Gets or sets a value indicating whether the user who started the conversation (<see cref="CallerContext.UserId"/>) is refused as the approver.</summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool PreventSelfApproval { get; set; }

    /// <summary>
    /// Gets the tools that honour <see cref="ApprovedCall.IdempotencyKey"/>: after an interrupted run they are run again with the
    /// same key. Any other interrupted call is marked <see cref="CallExecutionStatus.InDoubt"/> for a person, never re-run.
    /// </summary>
    public ISet<string> IdempotentTools { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a secret key (32 bytes or more, or empty) for the audit chain's HMAC. In configuration: base64 text. Without it, the chain uses plain SHA-256 and
    /// detects accidental or naive edits; with it, someone who can write the store but lacks the key cannot forge a decision.
    /// </summary>
    public ReadOnlyMemory<byte> IntegrityKey { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the gate refuses requests whose tools were not passed through
    /// <see cref="ApprovalService.ProtectTools"/>. Protected tools run only for calls the gate allowed or a resume runs, which
    /// closes the path by which <c>FunctionInvokingChatClient</c> runs tools named in approval responses found in the input.
    /// </summary>
    /// <value>Default: <see langword="true"/>. Set <see langword="false"/> only when you invoke calls yourself, without function invocation.</value>
    public bool RequireProtectedTools { get; set; } = true;

    /// <summary>Gets or sets the factory that creates the <c>HumanInLoop</c> meter; <see langword="null"/> uses a process-wide meter.</summary>
    /// <value>Default: <see langword="null"/>; <c>AddHumanInLoop</c> sets the container's factory when one is registered.</value>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets the clock.</summary>
    /// <value>Default: <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
