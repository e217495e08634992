using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace HumanInLoop.Cli;

/// <summary>
/// Where a command writes: Spectre.Console tables for people, or JSON (no ANSI) with <c>--json</c>. Errors go to the error writer,
/// as a line of text or, with <c>--json</c>, as <c>{"error": kind, "message": ..., "exitCode": n}</c>.
/// </summary>
internal sealed class CliOutput
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public CliOutput(TextWriter output, TextWriter error, bool json, bool terminal)
    {
        Writer = output;
        ErrorWriter = error;
        Json = json;
        Console = CreateConsole(output, terminal && !json);
        ErrorConsole = CreateConsole(error, terminal && !json);
    }

    /// <summary>Gets the writer for results.</summary>
    public TextWriter Writer { get; }

    /// <summary>Gets the writer for errors, warnings and progress.</summary>
    public TextWriter ErrorWriter { get; }

    /// <summary>Gets a value indicating whether results are written as JSON.</summary>
    public bool Json { get; }

    /// <summary>Gets the console for tables (over <see cref="Writer"/>).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Gets the console for progress (over <see cref="ErrorWriter"/>), so a result on standard output stays clean.</summary>
    public IAnsiConsole ErrorConsole { get; }

    /// <summary>Gets the options every <c>--json</c> result is written with (camelCase, enums as strings, nulls left out).</summary>
    public static JsonSerializerOptions JsonOptions => s_json;

    public void WriteJson<T>(T value) => Writer.WriteLine(JsonSerializer.Serialize(value, s_json));

    public void Warn(string message)
    {
        if (!Json)
        {
            ErrorWriter.WriteLine($"warning: {message}");
        }
    }

    /// <summary>Reports an error and returns its exit code.</summary>
    public int Fail(int exitCode, string kind, string message)
    {
        if (Json)
        {
            // One line, so a script can read the error with the first line of standard error.
            ErrorWriter.WriteLine(JsonSerializer.Serialize(new { error = kind, message, exitCode }, s_json).ReplaceLineEndings(" "));
        }
        else
        {
            ErrorWriter.WriteLine($"error ({kind}): {message}");
        }

        return exitCode;
    }

    /// <summary>Runs work under a progress bar on the error console (people only; nothing is drawn with <c>--json</c>).</summary>
    public async Task<T> WithProgressAsync<T>(string description, Func<Action<string>, Task<T>> work)
    {
        if (Json)
        {
            return await work(_ => { });
        }

        return await ErrorConsole.Progress().AutoClear(false).StartAsync(async context =>
        {
            ProgressTask task = context.AddTask(Markup.Escape(description)).IsIndeterminate();
            T result = await work(text => task.Description = Markup.Escape(text));
            task.IsIndeterminate(false).Value(task.MaxValue);
            return result;
        });
    }

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 200; // redirected: wide enough that ids and arguments are not wrapped mid-word
        }

        return console;
    }
}
