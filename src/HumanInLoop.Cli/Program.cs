namespace HumanInLoop.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) =>
        CliApp.InvokeAsync(args, new CliSettings(Console.Out, Console.Error, Environment.GetEnvironmentVariable, Terminal: !Console.IsOutputRedirected));
}
