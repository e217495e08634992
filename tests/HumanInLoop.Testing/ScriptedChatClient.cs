using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Testing;

/// <summary>
/// A stand-in for a model: answers each request with what <see cref="Respond"/> computes from the messages, so a
/// script can depend only on the history (and therefore work across resumes and processes). Streaming splits the
/// same response into several updates, text word by word, each function call in an update of its own.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly Lock _lock = new();
    private readonly List<IReadOnlyList<ChatMessage>> _requests = [];

    public ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatResponse> respond)
    {
        Respond = respond;
    }

    /// <summary>Gets or sets the script: the response to a request's messages.</summary>
    public Func<IReadOnlyList<ChatMessage>, ChatResponse> Respond { get; set; }

    /// <summary>Gets a copy of every request's messages, in order.</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Makes a response with one assistant message holding the given function calls.</summary>
    public static ChatResponse Calls(params FunctionCallContent[] calls) => new(new ChatMessage(ChatRole.Assistant, [.. calls]));

    /// <summary>Makes a response with one assistant message holding text and then the given calls.</summary>
    public static ChatResponse TextAndCalls(string text, params FunctionCallContent[] calls) =>
        new(new ChatMessage(ChatRole.Assistant, [new TextContent(text), .. calls]));

    /// <summary>Makes a text-only response.</summary>
    public static ChatResponse Text(string text) => new(new ChatMessage(ChatRole.Assistant, text));

    /// <summary>Makes a function call with arguments from an anonymous object or dictionary.</summary>
    public static FunctionCallContent Call(string callId, string name, IDictionary<string, object?>? arguments = null) => new(callId, name, arguments ?? new Dictionary<string, object?>());

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        List<ChatMessage> list = [.. messages];
        lock (_lock)
        {
            _requests.Add(list);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Clone(Respond(list)));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (ChatMessage message in response.Messages)
        {
            string messageId = message.MessageId ?? Guid.NewGuid().ToString("N");
            foreach (AIContent content in message.Contents)
            {
                if (content is TextContent text)
                {
                    foreach (string piece in SplitWords(text.Text))
                    {
                        await Task.Yield();
                        yield return new ChatResponseUpdate(message.Role, piece) { MessageId = messageId };
                    }
                }
                else
                {
                    await Task.Yield();
                    yield return new ChatResponseUpdate(message.Role, [content]) { MessageId = messageId };
                }
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static IEnumerable<string> SplitWords(string text)
    {
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    /// <summary>Each call gets fresh content objects, as a real provider's parsing would produce.</summary>
    private static ChatResponse Clone(ChatResponse response)
    {
        List<ChatMessage> messages = [];
        foreach (ChatMessage message in response.Messages)
        {
            List<AIContent> contents = [];
            foreach (AIContent content in message.Contents)
            {
                contents.Add(content is FunctionCallContent call
                    ? new FunctionCallContent(call.CallId, call.Name, call.Arguments is null ? null : new Dictionary<string, object?>(call.Arguments))
                    : content);
            }

            messages.Add(new ChatMessage(message.Role, contents) { MessageId = message.MessageId });
        }

        return new ChatResponse(messages);
    }
}
