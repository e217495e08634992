using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BankingConsole;

/// <summary>
/// A scripted stand-in for a language model, so the demo runs offline: it understands a handful of phrasings
/// (<see cref="BankRequestParser"/>) and answers through the real <see cref="IChatClient"/> interface with real
/// <see cref="FunctionCallContent"/>s, or, when asked for JSON (router mode), with the text of a <see cref="BankPlan"/>.
/// After tool results it writes a short answer from them.
/// </summary>
/// <remarks>
/// Its answer is a function of the messages (and the requested response format) only, never of earlier requests, so a
/// conversation resumed in another process continues exactly as it would have in this one. Thread-safe.
/// </remarks>
internal sealed class ScriptedBankModel : IChatClient
{
    /// <summary>What the model says when it does not understand.</summary>
    public const string NotUnderstood =
        "I am the scripted stand-in model and only understand a few phrasings: \"transfer 500 to bob\", \"send $20 to alice\", " +
        "\"deposit 20\", \"what is my balance\", \"what is bob's balance\", joined with \"and\".";

    private static readonly ChatClientMetadata s_metadata = new("scripted", null, "scripted-bank-model");

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        List<ChatMessage> history = [.. messages];
        ChatMessage reply = options?.ResponseFormat is ChatResponseFormatJson ? Plan(history) : Respond(history);
        reply.MessageId ??= $"scripted-{history.Count}";
        return Task.FromResult(new ChatResponse(reply) { ModelId = "scripted-bank-model", FinishReason = reply.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? s_metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Tool-calling mode: tool calls for a request, or an answer written from the tool results that just came back.</summary>
    private static ChatMessage Respond(List<ChatMessage> history)
    {
        if (history.Count > 0 && history[^1].Role == ChatRole.Tool)
        {
            return new ChatMessage(ChatRole.Assistant, Summarize(history));
        }

        string request = LastUserText(history);
        if (BankRequestParser.Parse(request) is not { } requests)
        {
            return new ChatMessage(ChatRole.Assistant, NotUnderstood);
        }

        // Call ids depend only on the history, so the same history always gets the same calls.
        int turn = history.Count(m => m.Role == ChatRole.User);
        List<AIContent> calls = [];
        for (int i = 0; i < requests.Count; i++)
        {
            BankRequest r = requests[i];
            string callId = $"call_{turn}_{i + 1}";
            calls.Add(r.Kind switch
            {
                BankActionKind.Transfer => new FunctionCallContent(callId, "transfer", new Dictionary<string, object?> { ["to"] = r.Account, ["amount"] = r.Amount }),
                BankActionKind.Deposit => new FunctionCallContent(callId, "deposit", new Dictionary<string, object?> { ["amount"] = r.Amount }),
                _ => new FunctionCallContent(callId, "check_balance", r.Account is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["account"] = r.Account }),
            });
        }

        return new ChatMessage(ChatRole.Assistant, calls);
    }

    /// <summary>Router mode: the JSON text of a plan, as a model constrained to the plan's schema would write it.</summary>
    private static ChatMessage Plan(List<ChatMessage> history)
    {
        BankPlan plan = BankRequestParser.Parse(LastUserText(history)) is { } requests
            ? new BankPlan([.. requests.Select(r => r.Kind == BankActionKind.Transfer
                ? new BankAction(r.Kind, r.Account, null, r.Amount)
                : new BankAction(r.Kind, null, r.Account, r.Amount))], null)
            : new BankPlan([], NotUnderstood);
        return new ChatMessage(ChatRole.Assistant, JsonSerializer.Serialize(plan, AIJsonUtilities.DefaultOptions));
    }

    private static string LastUserText(List<ChatMessage> history) => history.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";

    /// <summary>Writes one sentence per tool result of the last round, the way a model reads them.</summary>
    private static string Summarize(List<ChatMessage> history)
    {
        Dictionary<string, FunctionCallContent> calls = history.SelectMany(m => m.Contents.OfType<FunctionCallContent>())
            .GroupBy(c => c.CallId).ToDictionary(g => g.Key, g => g.Last());
        IEnumerable<FunctionResultContent> results = history.AsEnumerable().Reverse().TakeWhile(m => m.Role == ChatRole.Tool).Reverse()
            .SelectMany(m => m.Contents.OfType<FunctionResultContent>());
        List<string> sentences = [];
        foreach (FunctionResultContent result in results)
        {
            string text = ToolText.Of(result.Result);
            string what = calls.TryGetValue(result.CallId, out FunctionCallContent? call) ? ToolText.Describe(call) : "do that";
            sentences.Add(text switch
            {
                _ when text.Contains("already rejected this same call", StringComparison.Ordinal) =>
                    $"I did not {what}: a person already rejected it earlier in this conversation ({ReasonIn(text)}).",
                _ when text.Contains("rejected by the approver", StringComparison.Ordinal) =>
                    $"I did not {what}: the approver rejected it ({ReasonIn(text)}).",
                _ when text.Contains("denied by policy", StringComparison.Ordinal) =>
                    $"I could not {what}: {ReasonIn(text)}",
                _ when text.Contains("approval expired", StringComparison.Ordinal) =>
                    $"Nobody approved the request to {what} in time, so it was not done.",
                _ when text.StartsWith("Error:", StringComparison.Ordinal) =>
                    $"Something went wrong when I tried to {what}.",
                _ => text,
            });
        }

        return sentences.Count == 0 ? "Done." : string.Join(" ", sentences);
    }

    private static string ReasonIn(string text)
    {
        int at = text.IndexOf("Reason: ", StringComparison.Ordinal);
        return at < 0 ? text : text[(at + "Reason: ".Length)..];
    }
}
