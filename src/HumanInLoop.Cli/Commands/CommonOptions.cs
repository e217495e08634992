using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace HumanInLoop.Cli.Commands;

/// <summary>Options and formatting several commands share: the history window, the approver, and short cell text.</summary>
internal static class CommonOptions
{
    public static Option<DateTimeOffset?> From() => new("--from") { Description = "Only calls seen at or after this time (ISO 8601, e.g. 2026-12-01T00:00Z)." };

    public static Option<DateTimeOffset?> To() => new("--to") { Description = "Only calls seen before this time (exclusive)." };

    public static Option<string?> Tenant() => new("--tenant") { Description = "Only this tenant." };

    public static Option<string?> Tool() => new("--tool") { Description = "Only this tool." };

    public static Option<string?> PolicyVersion() => new("--policy-version")
    {
        Description = "Only calls judged under this version of the rules (as recorded on the verdict: a rule set's version, or the application's PolicyVersion).",
        HelpName = "VERSION",
    };

    public static Option<string> As() => new("--as")
    {
        Description = "Who you are, as the application's approver id (trusted: the command line is for operators who hold the database credentials).",
        HelpName = "NAME",
        Required = true,
    };

    public static Option<string[]> Roles() => new("--role")
    {
        Description = "A role you act in (repeat for several); matched against the approvers the call names.",
        HelpName = "ROLE",
    };

    public static Approver Approver(CommandContext context, Option<string> id, Option<string[]> roles) =>
        new(context.Get(id)!, context.Get(roles) ?? []);

    /// <summary>The window options, added to a command, and read back into a <see cref="HistoryQuery"/>.</summary>
    public sealed class Window
    {
        private readonly Option<DateTimeOffset?> _from = From();
        private readonly Option<DateTimeOffset?> _to = To();
        private readonly Option<string?> _tenant = Tenant();
        private readonly Option<string?> _tool = Tool();
        private readonly Option<string?> _version = PolicyVersion();

        public Window(Command command)
        {
            command.Options.Add(_from);
            command.Options.Add(_to);
            command.Options.Add(_tenant);
            command.Options.Add(_tool);
            command.Options.Add(_version);
        }

        public HistoryQuery Query(CommandContext context) => new()
        {
            From = context.Get(_from),
            Before = context.Get(_to),
            TenantId = context.Get(_tenant),
            ToolName = context.Get(_tool),
            PolicyVersion = context.Get(_version),
        };
    }

    /// <summary>A table whose first <paramref name="ids"/> columns (ids people copy into the next command) are never wrapped.</summary>
    public static Spectre.Console.Table Table(int ids, params string[] headers)
    {
        Spectre.Console.Table table = new();
        for (int i = 0; i < headers.Length; i++)
        {
            table.AddColumn(new Spectre.Console.TableColumn(headers[i]) { NoWrap = i < ids });
        }

        return table;
    }

    public static string Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    public static string Duration(TimeSpan? span) => span switch
    {
        null => "-",
        { TotalHours: >= 1 } s => s.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture),
        { } s => s.ToString(@"m\:ss", CultureInfo.InvariantCulture),
    };

    public static string Percent(double rate) => rate.ToString("P1", CultureInfo.InvariantCulture);

    /// <summary>Arguments as compact JSON, cut to fit a table cell.</summary>
    public static string Arguments(JsonElement arguments, int max = 60)
    {
        string text = arguments.ValueKind == JsonValueKind.Undefined ? "" : arguments.GetRawText();
        text = text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
    }
}
