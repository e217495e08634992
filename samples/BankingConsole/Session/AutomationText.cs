using System.Globalization;
using HumanInLoop;

namespace BankingConsole;

/// <summary>The automation report, replay findings and grants as one-line text, shared by both views.</summary>
internal static class AutomationText
{
    /// <summary>One set of figures: <c>seen=8 at-once=3 denied=0 by-grant=1 to-person=4 (approved=3 ...) automated=50.0% ... repeats-answered=1 repeats-stopped=0</c>.</summary>
    public static string Figures(AutomationFigures f) => string.Create(CultureInfo.InvariantCulture,
        $"seen={f.Seen} allowed={f.Allowed} denied={f.Denied} by-grant={f.AllowedByGrant} to-person={f.SentToPerson} " +
        $"(approved={f.Approved} edited={f.Edited} rejected={f.Rejected} responded={f.Responded} expired={f.Expired} awaiting={f.Awaiting}) " +
        $"automated={Percent(f.AutomationRate)} median-decision={Time(f.MedianTimeToDecision)} p90-decision={Time(f.P90TimeToDecision)} " +
        $"repeats-answered={f.RejectedAsRepeat + f.RepeatLimitReached} repeats-stopped={f.RepeatLimitReached}");

    public static string Shadow(ShadowAgreement s)
    {
        string disagreements = string.Join(",", s.Disagreements.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Key.Replace(" → ", "->", StringComparison.Ordinal)}:{d.Value}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"compared={s.Compared} agreed={s.Agreed} agreement={Percent(s.AgreementRate)} errors={s.Errors}{(disagreements.Length == 0 ? "" : " disagreements=" + disagreements)}");
    }

    public static string Summary(string candidate, ReplayReport r) => string.Create(CultureInfo.InvariantCulture,
        $"candidate={candidate} calls={r.Calls} would-allow={r.WouldAllow} would-ask={r.WouldRequireApproval} would-deny={r.WouldDeny} " +
        $"automation={Percent(r.AutomationRate)} recorded-automation={Percent(r.RecordedAutomationRate)} " +
        $"false-approvals={r.FalseApprovalCount} needless-asks={r.NeedlessAskCount} errors={r.ErrorCount}");

    /// <summary>A finding: the approval and call, the tool, the stored arguments, who decided and why.</summary>
    public static string Finding(ReplayFinding finding)
    {
        RecordedCall call = finding.Call;
        string decided = (call.Outcome == CallOutcome.Responded ? " answered-instead" : "") + (call.DecidedBy is null ? "" : $" decided-by={call.DecidedBy}");
        string? why = finding.Candidate.Error ?? finding.Candidate.Reason ?? call.DecisionReason;
        // The person's reason last: it is free text, read to the end of the line.
        return $"{call.ApprovalId ?? "-"} {call.CallId} {call.ToolName} {call.Arguments.GetRawText()}{decided}" +
            (why is null || why == call.DecisionReason ? "" : $" candidate-said={why}") +
            (call.DecisionReason is null ? "" : $" person-said={call.DecisionReason}");
    }

    public static string Grant(ApprovalGrant g, DateTimeOffset now) => string.Create(CultureInfo.InvariantCulture,
        $"{g.Id} {g.ToolName} {g.Scope.ToString().ToLowerInvariant()}={g.ScopeId ?? g.TenantId ?? "-"} " +
        $"bounds={(g.ArgumentBounds.Count == 0 ? "none" : string.Join(",", g.ArgumentBounds.Select(Bound)))} by={g.GrantedBy} " +
        $"expires={g.ExpiresAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} state={(g.RevokedAt is not null ? "revoked" : g.IsInForceAt(now) ? "in-force" : "expired")} approval={g.ApprovalId}");

    public static string Percent(double rate) => rate.ToString("P1", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);

    private static string Bound(GrantArgumentBound b) => b.EqualTo is { } value
        ? $"{b.Name}={value.GetRawText()}"
        : string.Create(CultureInfo.InvariantCulture, $"{b.Name}<={b.Maximum}");

    private static string Time(TimeSpan? time) => time switch
    {
        null => "-",
        { TotalSeconds: < 1 } t => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0}ms"),
        { TotalMinutes: < 1 } t => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#}s"),
        { TotalHours: < 1 } t => string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m{t.Seconds:00}s"),
        { } t => string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m"),
    };
}
