namespace HumanInLoop.Cli;

/// <summary>A failure the command line reports with its own exit code and message (no stack trace).</summary>
internal sealed class CliException(int exitCode, string kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    public string Kind { get; } = kind;

    public static CliException Usage(string message) => new(ExitCodes.Usage, "usage", message);

    public static CliException Store(string message, Exception? inner = null) => new(ExitCodes.Store, "store", message, inner);

    public static CliException Policies(string message, Exception? inner = null) => new(ExitCodes.Policies, "policies", message, inner);
}
