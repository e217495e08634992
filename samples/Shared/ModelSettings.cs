using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace HumanInLoop.Samples;

/// <summary>
/// The real model to use, if any: section <c>Model</c> (<c>Endpoint</c>, <c>Name</c>, <c>ApiKey</c>; from the environment
/// as <c>Model__Endpoint</c>...), and for what it leaves out the <c>HUMANINLOOP_OPENAI_ENDPOINT</c>,
/// <c>HUMANINLOOP_OPENAI_MODEL</c> and <c>HUMANINLOOP_OPENAI_API_KEY</c> variables every sample reads. Nothing set: the
/// offline scripted model. Read once at startup. The key is never part of <see cref="ToString"/>.
/// </summary>
internal sealed partial class ModelSettings
{
    /// <summary>The endpoint used when only a model name or a key is configured.</summary>
    public const string OpenAIEndpoint = "https://api.openai.com/v1";

    /// <summary>The model used at OpenAI when no name is configured (as in the console sample).</summary>
    public const string OpenAIDefaultModel = "gpt-4o-mini";

    private ModelSettings(Uri endpoint, string name, string? apiKey)
    {
        Endpoint = endpoint;
        Name = name;
        ApiKey = apiKey;
    }

    public Uri Endpoint { get; }

    public string Name { get; }

    public string? ApiKey { get; }

    /// <summary>Reads and checks the settings.</summary>
    /// <returns>The endpoint to use, or <see langword="null"/> when none is configured (use the scripted model).</returns>
    /// <exception cref="InvalidOperationException">A setting is malformed or missing; the message says which and what to set.</exception>
    public static ModelSettings? Read(IConfiguration configuration)
    {
        string? endpoint = Value(configuration, "Model:Endpoint", "HUMANINLOOP_OPENAI_ENDPOINT");
        string? name = Value(configuration, "Model:Name", "HUMANINLOOP_OPENAI_MODEL");
        string? apiKey = Value(configuration, "Model:ApiKey", "HUMANINLOOP_OPENAI_API_KEY");
        if (endpoint is null && name is null && apiKey is null)
        {
            return null;
        }

        if (!Uri.TryCreate(endpoint ?? OpenAIEndpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException(
                $"Model:Endpoint (or HUMANINLOOP_OPENAI_ENDPOINT) '{endpoint}' is not an absolute http or https URL, such as http://localhost:11434/v1 or {OpenAIEndpoint}.");
        }

        bool openAI = string.Equals(uri.Host, "api.openai.com", StringComparison.OrdinalIgnoreCase);
        if (name is null && !openAI)
        {
            throw new InvalidOperationException(
                $"Model:Name (or HUMANINLOOP_OPENAI_MODEL) is not set: name a model served at {uri.GetLeftPart(UriPartial.Authority)}, such as llama3.1 for Ollama.");
        }

        if (apiKey is null && openAI)
        {
            throw new InvalidOperationException("Model:ApiKey (or HUMANINLOOP_OPENAI_API_KEY) is not set: api.openai.com needs a key. Local servers (Ollama, vLLM) need none.");
        }

        return new ModelSettings(uri, name ?? OpenAIDefaultModel, apiKey);
    }

    /// <summary>Creates the client for the OpenAI chat completions API at <see cref="Endpoint"/>.</summary>
    /// <returns>The model client, to put under function invocation and the approval gate.</returns>
    public IChatClient CreateChatClient() =>
        // Local servers (Ollama, vLLM) accept any key; the OpenAI client insists on a non-empty one.
        new OpenAI.Chat.ChatClient(Name, new ApiKeyCredential(ApiKey ?? "unused"), new OpenAIClientOptions { Endpoint = Endpoint }).AsIChatClient();

    /// <summary>Describes the model for the log: its name and the endpoint's scheme, host and port.</summary>
    /// <returns>For example <c>llama3.1 at http://localhost:11434</c>.</returns>
    public override string ToString() => $"{Name} at {Endpoint.GetLeftPart(UriPartial.Authority)}";

    [LoggerMessage(1, LogLevel.Information, "Model: {Model}.")]
    public static partial void LogModel(ILogger logger, string model);

    private static string? Value(IConfiguration configuration, string key, string variable) =>
        configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim()
        : configuration[variable] is { } fallback && !string.IsNullOrWhiteSpace(fallback) ? fallback.Trim()
        : null;
}
