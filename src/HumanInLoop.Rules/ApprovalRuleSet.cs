using HumanInLoop.Rules.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.Rules;

/// <summary>
/// A checked set of approval rules read from configuration, as one <see cref="IApprovalPolicy"/>: every rule that covers the call and whose
/// condition holds gives its verdict, and they combine as policies do (Deny over RequireApproval over Allow; several requirements merge);
/// a call no rule covers is <see cref="PolicyVerdict.NotApplicable"/>. Every verdict, <see cref="PolicyVerdict.NotApplicable"/> included,
/// names the set's <see cref="Version"/> and the deciding rule (<see cref="PolicyVerdict.WithOrigin"/>).
/// </summary>
/// <remarks>
/// Immutable and thread-safe. A condition that cannot be evaluated for a call (an argument missing or of another type, a division by
/// zero, an overflow, a string longer than the bound) never allows: that rule requires approval instead, and the failure is logged and
/// counted (<c>humaninloop.rules.evaluations.failed</c>). Load one with <see cref="FromJson"/> or <see cref="FromFile"/> (for replay,
/// <see cref="ApprovalHistory.ReplayAsync"/>), or register one bound to configuration with <c>AddHumanInLoopRules</c>. The format and the
/// expression language: docs/policies.md, "Rules in configuration".
/// </remarks>
public sealed class ApprovalRuleSet : IApprovalPolicy
{
    private readonly CompiledRule[] _rules;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RulesTelemetry _telemetry;
    private readonly PolicyVerdict _notApplicable;

    internal ApprovalRuleSet(CompiledRule[] rules, string hash, string? label, TimeProvider time, ILogger logger, RulesTelemetry telemetry)
    {
        _rules = rules;
        _time = time;
        _logger = logger;
        _telemetry = telemetry;
        Hash = hash;
        Label = label;
        Version = VersionOf(hash, label);
        RuleNames = [.. rules.Select(r => r.Name)];
        _notApplicable = PolicyVerdict.NotApplicable.WithOrigin(null, Version);
    }

    /// <inheritdoc />
    /// <value><c>rules</c>: recorded verdicts name <c>rules/</c> and the deciding rule.</value>
    public string Name => "rules";

    /// <summary>Gets the content hash of the rules: <c>sha256:</c> and 64 lowercase hex digits over their canonical form; what a pin names.</summary>
    public string Hash { get; }

    /// <summary>Gets the set's label from configuration (<c>Label</c>), or <see langword="null"/>.</summary>
    public string? Label { get; }

    /// <summary>Gets the version named on every verdict: <c>sha256:</c> and the hash's first 16 hex digits, after the label if there is one (<c>limits-2026-12 sha256:…</c>).</summary>
    public string Version { get; }

    /// <summary>Gets the rules' names, in the order of the configuration.</summary>
    public IReadOnlyList<string> RuleNames { get; }

    /// <summary>Reads a rule set from JSON: an object with <c>Rules</c> (and optionally <c>Label</c> and <c>Pin</c>), as under the configuration section.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="tools">The tools the rules may name; their JSON schemas give the argument names and types the conditions are checked against.</param>
    /// <param name="timeProvider">The clock the context names <c>_date</c>, <c>_hour</c>, <c>_minute</c> and <c>_weekday</c> read (in a replay they read the recorded call's time); the system clock if <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where evaluation failures are logged; none if <see langword="null"/>.</param>
    /// <returns>The checked rule set.</returns>
    /// <exception cref="ApprovalRulesException">The rules are refused; the message names each problem's path.</exception>
    public static ApprovalRuleSet FromJson(string json, IEnumerable<AIFunctionDeclaration> tools, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "JSON", tools, timeProvider, loggerFactory);
    }

    /// <summary>Reads a rule set from a JSON file, as <see cref="FromJson"/> does.</summary>
    /// <param name="path">The file.</param>
    /// <param name="tools">The tools the rules may name; their JSON schemas give the argument names and types the conditions are checked against.</param>
    /// <param name="timeProvider">The clock the context names read; the system clock if <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where evaluation failures are logged; none if <see langword="null"/>.</param>
    /// <returns>The checked rule set.</returns>
    /// <exception cref="ApprovalRulesException">The rules are refused; the message names each problem's path after the file's name.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ApprovalRuleSet FromFile(string path, IEnumerable<AIFunctionDeclaration> tools, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FromStream(new MemoryStream(File.ReadAllBytes(path)), Path.GetFileName(path), tools, timeProvider, loggerFactory);
    }

    /// <inheritdoc />
    public ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string tool = context.ToolName;
        RuleScope? scope = null;
        PolicyVerdict? deny = null;
        PolicyVerdict? allow = null;
        List<(string Rule, PolicyVerdict Verdict)>? holds = null;
        foreach (CompiledRule rule in _rules)
        {
            if (!rule.Covers(tool))
            {
                continue;
            }

            PolicyVerdict verdict;
            try
            {
                if (!rule.Applies(tool, scope ??= new RuleScope(tool, context.Arguments, context.Context, _time, context.RecordedAt)))
                {
                    continue;
                }

                verdict = rule.Verdict;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                string failure = e is RuleEvaluationException { BoundExceeded: true } ? "bound" : "error";
                _telemetry.Failed.Add(1, new(RulesTelemetry.RuleTag, rule.Name), new(RulesTelemetry.FailureTag, failure));
                RulesLog.EvaluationFailed(_logger, e, rule.Name, Version, tool, failure);
                verdict = rule.Failed;
            }

            switch (verdict.Kind)
            {
                case PolicyVerdictKind.Deny:
                    deny ??= verdict;
                    break;
                case PolicyVerdictKind.RequireApproval:
                    (holds ??= []).Add((rule.Name, verdict));
                    break;
                default:
                    allow ??= verdict;
                    break;
            }
        }

        return ValueTask.FromResult(deny ?? (holds is null ? null : Merge(holds)) ?? allow ?? _notApplicable);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Version} ({_rules.Length} rule(s))";

    internal static string VersionOf(string hash, string? label) => label is null ? hash[..23] : $"{label} {hash[..23]}";

    private static ApprovalRuleSet FromStream(Stream json, string source, IEnumerable<AIFunctionDeclaration> tools, TimeProvider? timeProvider, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(tools);
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(json).Build();
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new ApprovalRulesException([$"{source}: not a JSON object of rules: {e.Message}"]);
        }

        return RuleSetCompiler.Compile(
            configuration, source + ": ", ToolArguments.Read(tools), timeProvider ?? TimeProvider.System,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ApprovalRuleSet>(), RulesTelemetry.Create(null));
    }

    /// <summary>Several rules require approval: as between policies, every reason shows, the earliest deadline and the most approvals hold, and only approvers every rule that names any names may decide.</summary>
    private PolicyVerdict Merge(List<(string Rule, PolicyVerdict Verdict)> holds)
    {
        if (holds.Count == 1)
        {
            return holds[0].Verdict;
        }

        IEnumerable<string>? approvers = null;
        TimeSpan? expires = null;
        int required = 1;
        foreach ((_, PolicyVerdict verdict) in holds)
        {
            if (verdict.Approvers.Count > 0)
            {
                approvers = approvers is null ? verdict.Approvers : approvers.Intersect(verdict.Approvers, StringComparer.Ordinal);
            }

            expires = verdict.ExpiresAfter is { } after && (expires is null || after < expires) ? after : expires;
            required = Math.Max(required, verdict.RequiredApprovals);
        }

        string[] common = approvers is null ? [] : [.. approvers.DefaultIfEmpty(NoCommonApprover)];
        return PolicyVerdict.RequireApproval(string.Join(" ", holds.Select(h => h.Verdict.Reason)), common, expires, required)
            .WithOrigin(string.Join("+", holds.Select(h => h.Rule)), Version);
    }

    /// <summary>An approver nobody is, when the rules name approvers with nobody in common: the value the core uses between policies.</summary>
    private const string NoCommonApprover = "\u0000no-common-approver";
}
