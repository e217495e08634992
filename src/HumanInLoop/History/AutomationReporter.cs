namespace HumanInLoop.Internal;

/// <summary>Counts recorded calls into an <see cref="AutomationReport"/>, one call at a time.</summary>
internal sealed class AutomationReporter
{
    private readonly Tally _total = new();
    private readonly Dictionary<string, Tally> _byTool = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tally> _byPolicy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tally> _byVersion = new(StringComparer.Ordinal);
    private readonly Dictionary<DateOnly, Tally> _byDay = [];
    private readonly Dictionary<string, long> _disagreements = new(StringComparer.Ordinal);
    private long _compared;
    private long _agreed;
    private long _shadowErrors;

    public void Add(RecordedCall call)
    {
        _total.Add(call);
        Of(_byTool, call.ToolName).Add(call);
        foreach (string policy in call.Verdict.Policies.Distinct(StringComparer.Ordinal))
        {
            Of(_byPolicy, policy).Add(call);
        }

        Of(_byDay, DateOnly.FromDateTime(call.SeenAt.UtcDateTime)).Add(call);
        foreach (string version in call.Verdict.PolicyVersions.Distinct(StringComparer.Ordinal))
        {
            Of(_byVersion, version).Add(call);
        }

        if (call.ShadowVerdict is { } shadow)
        {
            _compared++;
            if (shadow.Error is not null)
            {
                _shadowErrors++;
            }

            if (shadow.Kind == call.Verdict.Kind && shadow.Error is null)
            {
                _agreed++;
            }
            else
            {
                string pair = $"{call.Verdict.Kind} → {(shadow.Error is null ? shadow.Kind.ToString() : "Error")}";
                _disagreements[pair] = _disagreements.GetValueOrDefault(pair) + 1;
            }
        }
    }

    public AutomationReport Build(HistoryQuery query, IReadOnlyList<string> unreadable) => new()
    {
        Query = query,
        Total = _total.Figures(),
        ByTool = _byTool.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.Figures(), StringComparer.Ordinal),
        ByPolicy = _byPolicy.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.Figures(), StringComparer.Ordinal),
        ByPolicyVersion = _byVersion.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.Figures(), StringComparer.Ordinal),
        ByDay = _byDay.OrderBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value.Figures()),
        Shadow = new ShadowAgreement { Compared = _compared, Agreed = _agreed, Errors = _shadowErrors, Disagreements = new Dictionary<string, long>(_disagreements) },
        UnreadableApprovals = unreadable,
    };

    private static Tally Of<TKey>(Dictionary<TKey, Tally> tallies, TKey key)
        where TKey : notnull
    {
        if (!tallies.TryGetValue(key, out Tally? tally))
        {
            tallies[key] = tally = new Tally();
        }

        return tally;
    }

    private sealed class Tally
    {
        private readonly long[] _outcomes = new long[Enum.GetValues<CallOutcome>().Length];
        private readonly List<long> _decisionTicks = [];

        public void Add(RecordedCall call)
        {
            _outcomes[(int)call.Outcome]++;
            if (call.TimeToDecision is { } time)
            {
                _decisionTicks.Add(time.Ticks);
            }
        }

        public AutomationFigures Figures()
        {
            _decisionTicks.Sort();
            return new AutomationFigures
            {
                Seen = _outcomes.Sum(),
                Allowed = _outcomes[(int)CallOutcome.Allowed],
                Denied = _outcomes[(int)CallOutcome.Denied],
                AllowedByGrant = _outcomes[(int)CallOutcome.AllowedByGrant],
                Awaiting = _outcomes[(int)CallOutcome.Awaiting],
                Approved = _outcomes[(int)CallOutcome.Approved],
                Edited = _outcomes[(int)CallOutcome.Edited],
                Rejected = _outcomes[(int)CallOutcome.Rejected],
                Responded = _outcomes[(int)CallOutcome.Responded],
                Expired = _outcomes[(int)CallOutcome.Expired],
                Cancelled = _outcomes[(int)CallOutcome.Cancelled],
                RejectedAsRepeat = _outcomes[(int)CallOutcome.RejectedAsRepeat],
                RepeatLimitReached = _outcomes[(int)CallOutcome.RepeatLimitReached],
                MedianTimeToDecision = Percentile(0.5),
                P90TimeToDecision = Percentile(0.9),
            };
        }

        // Nearest rank: the smallest time at or below which the given share of decisions fell.
        private TimeSpan? Percentile(double share) => _decisionTicks.Count == 0
            ? null
            : TimeSpan.FromTicks(_decisionTicks[Math.Max(0, (int)Math.Ceiling(share * _decisionTicks.Count) - 1)]);
    }
}
