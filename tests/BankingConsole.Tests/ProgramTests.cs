namespace BankingConsole.Tests;

/// <summary>How the program starts and ends when a script runs it.</summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task InputEnds_ExitsWithZero_WithoutQuit()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = ConsoleProcess.Launch(["--data", data.Path]);

        Assert.Equal(0, await console.EndInputAsync());
        Assert.Equal(["READY mode=tools model=scripted approver=teller data=" + data.Path, "OK start"], console.Output);
        Assert.True(File.Exists(Path.Combine(data.Path, "bank.db")));
        Assert.True(File.Exists(Path.Combine(data.Path, "approvals.db")));
    }

    [Fact]
    public async Task WholeScriptPiped_RunsEveryCommandInOrder()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = ConsoleProcess.Launch(["--data", data.Path]);
        foreach (string line in new[] { "say deposit 20", "say transfer 500 to bob", "later", "balances", "quit", "say deposit 999" })
        {
            await console.Input.WriteLineAsync(line);
        }

        IReadOnlyList<string> output = await console.ReadToExitAsync();

        Assert.Equal(0, console.ExitCode);
        Assert.Equal(["start", "say", "say", "later", "balances", "quit"], Parse.Starting(output, "OK"));
        Assert.Single(Parse.Pending(output));
        Assert.Equal(1020m, Parse.Balances(output)["carol"]);
    }

    [Fact]
    public async Task Help_PrintsUsage_ExitsWithZero()
    {
        await using ConsoleProcess console = ConsoleProcess.Launch(["--help"]);

        IReadOnlyList<string> output = await console.ReadToExitAsync();

        Assert.Equal(0, console.ExitCode);
        Assert.Contains(output, l => l.Contains("--mode tools|router", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("HUMANINLOOP_OPENAI_ENDPOINT", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--mode", "sideways", "ERROR --mode must be tools or router, not 'sideways'.")]
    [InlineData("--colour", "red", "ERROR Unknown option '--colour'. Run with --help for the options.")]
    [InlineData("--endpoint", "not a url", "ERROR The endpoint 'not a url' is not an absolute URL, such as http://localhost:11434/v1.")]
    public async Task BadOption_SaysWhy_ExitsWithTwo(string option, string value, string error)
    {
        await using ConsoleProcess console = ConsoleProcess.Launch([option, value]);

        IReadOnlyList<string> output = await console.ReadToExitAsync();

        Assert.Equal(2, console.ExitCode);
        Assert.Equal([error], output);
    }

    [Fact]
    public async Task Help_Command_ListsTheProtocol()
    {
        using TempDataDirectory data = new();
        await using ConsoleProcess console = await ConsoleProcess.StartAsync(data.Path);

        IReadOnlyList<string> help = await console.SendAsync("help");

        Assert.Equal("OK help", help[^1]);
        Assert.Contains(help, l => l.StartsWith("HELP approve <id> [callId]", StringComparison.Ordinal));
    }
}
