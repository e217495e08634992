using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace BankingConsole;

/// <summary>Chooses the model: the offline scripted stand-in, or a real OpenAI-compatible endpoint when one is configured.</summary>
internal static class ChatModelFactory
{
    /// <summary>Creates the model client; the rest of the program is the same for both.</summary>
    /// <returns>The client, and a name to show for it.</returns>
    public static (IChatClient Model, string Name) Create(ConsoleSettings settings)
    {
        if (!settings.UsesRealModel)
        {
            return (new ScriptedBankModel(), "scripted");
        }

        Uri endpoint = new(settings.Endpoint ?? ConsoleSettings.DefaultEndpoint);
        string model = settings.Model ?? ConsoleSettings.DefaultModel;

        // Local servers (Ollama, vLLM) accept any key; the OpenAI client insists on a non-empty one.
        string key = settings.ApiKey ?? "unused";
        IChatClient client = new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = endpoint }).AsIChatClient();
        return (client, $"{model}@{endpoint.GetLeftPart(UriPartial.Authority)}");
    }
}
