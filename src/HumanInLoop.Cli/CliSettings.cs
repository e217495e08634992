namespace HumanInLoop.Cli;

/// <summary>The process around the command line: its writers, whether they are a terminal, and its environment (replaceable in tests).</summary>
internal sealed record CliSettings(TextWriter Output, TextWriter Error, Func<string, string?> Environment, bool Terminal = false);
