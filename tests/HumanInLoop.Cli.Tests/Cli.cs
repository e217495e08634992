namespace HumanInLoop.Cli.Tests;

/// <summary>Runs <c>humaninloop</c> in-process with captured output and a given environment (never the machine's).</summary>
public static class Cli
{
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        StringWriter output = new();
        StringWriter error = new();
        CliSettings settings = new(output, error, name => environment is not null && environment.TryGetValue(name, out string? value) ? value : null);
        int exitCode = await CliApp.InvokeAsync(args, settings);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(null, args);
}

public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Output).RootElement;

    public override string ToString() => $"exit {ExitCode}\n--- out\n{Output}\n--- err\n{Error}";
}
