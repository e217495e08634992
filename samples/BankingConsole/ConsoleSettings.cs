namespace BankingConsole;

/// <summary>The command line and environment, read once at start.</summary>
internal sealed record ConsoleSettings
{
    /// <summary>The endpoint used when only a key or a model is configured.</summary>
    public const string DefaultEndpoint = "https://api.openai.com/v1";

    /// <summary>The model used when only an endpoint or a key is configured.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    public const string EndpointVariable = "HUMANINLOOP_OPENAI_ENDPOINT";
    public const string ModelVariable = "HUMANINLOOP_OPENAI_MODEL";
    public const string ApiKeyVariable = "HUMANINLOOP_OPENAI_API_KEY";

    public const string Usage = """
        BankingConsole: a small bank whose assistant needs a person's approval for transfers over $100.

        Usage: dotnet run --project samples/BankingConsole -- [options]

          --mode tools|router   tools (default): the model calls tools and the approval gate checks each call.
                                router: the model returns a typed plan; the same policies gate each action.
          --data <dir>          where bank.db and approvals.db live (default: ./bank-data).
          --approver <id>       who decides at this console (default: teller; the customer, carol, may not).
          --endpoint <url>      an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM), e.g. http://localhost:11434/v1
          --model <name>        the model name at that endpoint (default gpt-4o-mini).
          --api-key <key>       the API key (local servers usually need none).
          --scripted            use the offline scripted model even if the variables below are set.
          --demo                run the scripted tour of gradual automation (approvals, a rejection, an answer in place of
                                the tool, a standing grant, then report and replay) with the scripted model, in a fresh folder unless --data is given.
          -h, --help            show this text.

        Environment: HUMANINLOOP_OPENAI_ENDPOINT, HUMANINLOOP_OPENAI_MODEL, HUMANINLOOP_OPENAI_API_KEY
        (command-line options win). With none of them set, the offline scripted model is used and nothing goes on the network.

        When standard input is not a terminal, one command per line is read and plain lines are printed
        (see samples/BankingConsole/README.md): say <text> | approve <id> [callId] | reject <id> [callId] <reason>
        | respond <id> [callId] <text> | later | pending | resume <id> | report | replay [current] | grants | revoke <grantId> <reason>
        | balances | ledger | help | quit
        """;

    public string DataDirectory { get; init; } = "bank-data";

    public BankMode Mode { get; init; } = BankMode.Tools;

    public string Approver { get; init; } = "teller";

    public string? Endpoint { get; init; }

    public string? Model { get; init; }

    public string? ApiKey { get; init; }

    public bool ShowHelp { get; init; }

    /// <summary>Gets a value indicating whether to run the scripted tour of gradual automation (<c>--demo</c>).</summary>
    public bool Demo { get; init; }

    /// <summary>Gets a value indicating whether a real endpoint is configured (otherwise the scripted model is used).</summary>
    public bool UsesRealModel => Endpoint is not null || Model is not null || ApiKey is not null;

    /// <summary>Reads the arguments, then the environment for what the arguments leave out.</summary>
    /// <exception cref="ArgumentException">An argument is unknown or lacks its value; the message says which.</exception>
    public static ConsoleSettings Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ConsoleSettings settings = new();
        bool scripted = false, dataGiven = false;
        string? endpoint = null, model = null, apiKey = null;
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count && !string.IsNullOrWhiteSpace(args[i + 1])
                ? args[++i]
                : throw new ArgumentException($"The option {args[i]} needs a value. Run with --help for the options.");
            switch (args[i])
            {
                case "--mode":
                    string mode = Value();
                    settings = settings with
                    {
                        Mode = mode.ToLowerInvariant() switch
                        {
                            "tools" => BankMode.Tools,
                            "router" => BankMode.Router,
                            _ => throw new ArgumentException($"--mode must be tools or router, not '{mode}'."),
                        },
                    };
                    break;
                case "--data":
                    settings = settings with { DataDirectory = Value() };
                    dataGiven = true;
                    break;
                case "--approver":
                    settings = settings with { Approver = Value() };
                    break;
                case "--endpoint":
                    endpoint = Value();
                    break;
                case "--model":
                    model = Value();
                    break;
                case "--api-key":
                    apiKey = Value();
                    break;
                case "--scripted":
                    scripted = true;
                    break;
                case "--demo":
                    settings = settings with { Demo = true };
                    scripted = true; // the tour's requests are the scripted model's phrases
                    break;
                case "-h" or "--help" or "-?":
                    settings = settings with { ShowHelp = true };
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'. Run with --help for the options.");
            }
        }

        if (settings.Demo && !dataGiven)
        {
            // The tour's figures assume the opening balances and an empty history.
            settings = settings with { DataDirectory = Path.Combine(Path.GetTempPath(), $"bank-demo-{Guid.NewGuid():N}"[..19]) };
        }

        if (scripted)
        {
            return settings;
        }

        endpoint ??= NullIfEmpty(environment(EndpointVariable));
        model ??= NullIfEmpty(environment(ModelVariable));
        apiKey ??= NullIfEmpty(environment(ApiKeyVariable));
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"The endpoint '{endpoint}' is not an absolute URL, such as http://localhost:11434/v1.");
        }

        return settings with { Endpoint = endpoint, Model = model, ApiKey = apiKey };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
