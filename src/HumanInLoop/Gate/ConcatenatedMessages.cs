using System.Collections;

namespace Microsoft.Extensions.AI;

/// <summary>A read-only view of the request's messages followed by the response's, without copying either.</summary>
internal class ConcatenatedMessages(IReadOnlyList<ChatMessage> first, IList<ChatMessage>? second) : IReadOnlyList<ChatMessage>
{
    public int Count => first.Count + Second.Count;

    /// <summary>Gets the response's messages.</summary>
    protected virtual IList<ChatMessage> Second => second!;

    public ChatMessage this[int index] => index < first.Count ? first[index] : Second[index - first.Count];

    public IEnumerator<ChatMessage> GetEnumerator()
    {
        for (int i = 0; i < first.Count; i++)
        {
            yield return first[i];
        }

        IList<ChatMessage> response = Second;
        for (int i = 0; i < response.Count; i++)
        {
            yield return response[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The messages of a streamed response: the updates that passed before the first call, then the held ones.</summary>
    public static IList<ChatMessage> ToMessages(List<ChatResponseUpdate>? passed, List<ChatResponseUpdate> held) =>
        (passed is null ? held : [.. passed, .. held]).ToChatResponse().Messages;
}

/// <summary>
/// The request's messages followed by a streamed response's, built from its updates on first use (most policies never read
/// the conversation, and a batch that is not held never stores it).
/// </summary>
internal sealed class ConcatenatedStreamedMessages(IReadOnlyList<ChatMessage> first, List<ChatResponseUpdate>? passed, List<ChatResponseUpdate> held)
    : ConcatenatedMessages(first, null)
{
    private IList<ChatMessage>? _response;

    protected override IList<ChatMessage> Second => _response ??= ToMessages(passed, held);
}
