using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// A model that costs (almost) nothing: it answers from a script over the last message, with already-completed tasks and
/// synchronously produced streaming updates, so that a benchmark measures the pipeline around it and not the model.
/// </summary>
/// <remarks>
/// Function invocation replaces the <c>Messages</c> of the final response it returns and adds the gate's marks to call objects,
/// so anything that can be changed downstream (responses, messages and calls) is made fresh by the script on each request;
/// only immutable parts (argument dictionaries, text) are shared. Not thread-safe.
/// </remarks>
public sealed class CannedChatClient(Func<IReadOnlyList<ChatMessage>, ChatResponse> respond, Func<IReadOnlyList<ChatMessage>, ChatResponseUpdate[]>? stream = null)
    : IChatClient
{
    /// <summary>Gets how many requests reached the model.</summary>
    public int Requests { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Requests++;
        return Task.FromResult(respond(AsList(messages)));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Requests++;
        ChatResponseUpdate[] updates = stream?.Invoke(AsList(messages)) ?? throw new InvalidOperationException("No streaming script.");
        foreach (ChatResponseUpdate update in updates)
        {
            yield return update;
        }

        await Task.CompletedTask;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static IReadOnlyList<ChatMessage> AsList(IEnumerable<ChatMessage> messages) =>
        messages as IReadOnlyList<ChatMessage> ?? [.. messages];

    /// <summary>Whether the conversation ends with tool results, i.e. the model is asked for its answer after a call ran.</summary>
    public static bool EndsWithToolResults(IReadOnlyList<ChatMessage> messages) =>
        messages.Count > 0 && messages[^1].Contents.Count > 0 && messages[^1].Contents[0] is FunctionResultContent;
}

/// <summary>Conversations of a given length, the same for every flow that is compared.</summary>
public static class BenchmarkHistory
{
    /// <summary>Alternating user questions and assistant answers of realistic length, ending with <paramref name="lastUserMessage"/>.</summary>
    public static List<ChatMessage> Create(int count, string lastUserMessage)
    {
        List<ChatMessage> history = new(count);
        for (int i = 0; i < count - 1; i++)
        {
            history.Add(i % 2 == 0
                ? new ChatMessage(ChatRole.User, $"Message {i}: what is the balance of account {i}, and the last few payments on it?")
                : new ChatMessage(ChatRole.Assistant, $"Reply {i}: the balance of account {i} is 1,234.56 EUR; the last payments were to Zoë (12.00), the café (3.50) and rent (950.00)."));
        }

        history.Add(new ChatMessage(ChatRole.User, lastUserMessage));
        return history;
    }
}
