using Microsoft.Extensions.Logging;

namespace HumanInLoop.Rules.Internal;

/// <summary>Log messages of the rules: rule names, versions and problems; never argument values.</summary>
internal static partial class RulesLog
{
    [LoggerMessage(301, LogLevel.Error, "Rule {Rule} of rule set {Version} could not be evaluated for a call of {Tool} ({Failure}): the call waits for a person.")]
    public static partial void EvaluationFailed(ILogger logger, Exception exception, string rule, string version, string tool, string failure);

    [LoggerMessage(302, LogLevel.Error, "A changed rule set was refused; rule set {Version} stays in force. {Problems}")]
    public static partial void ReloadRefused(ILogger logger, string version, string problems);

    [LoggerMessage(303, LogLevel.Information, "Rule set {Version} is in force ({Count} rule(s)); it replaces {Previous}.")]
    public static partial void Loaded(ILogger logger, string version, int count, string previous);
}
