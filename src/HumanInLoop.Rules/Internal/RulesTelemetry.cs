using System.Diagnostics.Metrics;

namespace HumanInLoop.Rules.Internal;

/// <summary>The rules' instruments, on the library's one <see cref="Meter"/> named <c>HumanInLoop</c> (docs/telemetry.md).</summary>
internal sealed class RulesTelemetry
{
    public const string MeterName = "HumanInLoop";
    public const string EvaluationsFailed = "humaninloop.rules.evaluations.failed";
    public const string ReloadsRefused = "humaninloop.rules.reloads.refused";
    public const string RuleTag = "humaninloop.rules.rule";
    public const string FailureTag = "humaninloop.rules.failure";

    private static readonly Lazy<RulesTelemetry> s_shared = new(() => new RulesTelemetry(new Meter(MeterName)));

    private RulesTelemetry(Meter meter)
    {
        Failed = meter.CreateCounter<long>(
            EvaluationsFailed, "{evaluation}", "Rule conditions that could not be evaluated for a call (error, or bound exceeded); the call waited for a person.");
        Refused = meter.CreateCounter<long>(ReloadsRefused, "{reload}", "Changed rule sets refused (invalid, or not matching the pin); the last valid set stayed in force.");
    }

    public Counter<long> Failed { get; }

    public Counter<long> Refused { get; }

    public static RulesTelemetry Create(IMeterFactory? meterFactory) =>
        meterFactory is null ? s_shared.Value : new RulesTelemetry(meterFactory.Create(MeterName));
}
