using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HumanInLoop.Rules.Internal;

/// <summary>
/// Compiles one registration's rules whenever its options are built: at start, and after every change of the configuration. It keeps
/// the last valid set, so that a changed set that is refused (invalid, or not matching the pin) leaves the last valid one in force,
/// logged and counted; only when there is none yet does the snapshot carry the problems, which fail the host's start.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class RuleSetLoader(IConfiguration section, IEnumerable<AIFunctionDeclaration> tools)
{
    private readonly Lock _lock = new();
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, ValueKind>> _tools = ToolArguments.Read(tools);
    private ApprovalRuleSet? _lastValid;

    public string Prefix { get; } = section is IConfigurationSection { Path: { Length: > 0 } path } ? path + ":" : string.Empty;

    public void Load(RuleSetSnapshot snapshot, IServiceProvider services)
    {
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger<ApprovalRuleSet>() ?? NullLogger<ApprovalRuleSet>.Instance;
        RulesTelemetry telemetry = RulesTelemetry.Create(services.GetService<IMeterFactory>());
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        lock (_lock)
        {
            try
            {
                ApprovalRuleSet loaded = RuleSetCompiler.Compile(section, Prefix, _tools, time, logger, telemetry);
                if (_lastValid is null || _lastValid.Hash != loaded.Hash || _lastValid.Label != loaded.Label)
                {
                    RulesLog.Loaded(logger, loaded.Version, loaded.RuleNames.Count, _lastValid?.Version ?? "none");
                    _lastValid = loaded;
                }

                snapshot.Current = _lastValid;
            }
            catch (ApprovalRulesException e) when (_lastValid is not null)
            {
                telemetry.Refused.Add(1);
                RulesLog.ReloadRefused(logger, _lastValid.Version, string.Join(" ", e.Problems));
                snapshot.Current = _lastValid;
            }
            catch (ApprovalRulesException e)
            {
                snapshot.Problems = e.Problems;
            }
        }
    }
}
