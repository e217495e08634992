using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <summary>
/// For the crash tests only: runs the tool, then kills this process at once (as SIGKILL would), after the tool's effect is
/// committed but before the approval store hears that it succeeded. The next run must not move the money twice.
/// </summary>
/// <remarks>Switched on by <see cref="VariableName"/>=&lt;tool name&gt;; never set in normal use.</remarks>
internal sealed class KillAfterToolFunction(AIFunction inner) : DelegatingAIFunction(inner)
{
    public const string VariableName = "BANKINGCONSOLE_KILL_AFTER_TOOL";

    /// <summary>Wraps the tool named by the variable, if any; returns the others unchanged.</summary>
    public static IReadOnlyList<AIFunction> Apply(IReadOnlyList<AIFunction> tools, string? toolName) =>
        string.IsNullOrEmpty(toolName) ? tools : [.. tools.Select(t => t.Name == toolName ? new KillAfterToolFunction(t) : t)];

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        await base.InvokeCoreAsync(arguments, cancellationToken);
        using Process self = Process.GetCurrentProcess();
        self.Kill();
        throw new UnreachableException();
    }
}
