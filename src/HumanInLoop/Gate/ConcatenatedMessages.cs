using System.Collections;

namespace Microsoft.Extensions.AI;

/// <summary>A read-only view of the request's messages followed by the response's, without copying either.</summary>
internal sealed class ConcatenatedMessages(IReadOnlyList<ChatMessage> first, IList<ChatMessage> second) : IReadOnlyList<ChatMessage>
{
    public int Count => first.Count + second.Count;

    public ChatMessage this[int index] => index < first.Count ? first[index] : second[index - first.Count];

    public IEnumerator<ChatMessage> GetEnumerator()
    {
        for (int i = 0; i < first.Count; i++)
        {
            yield return first[i];
        }

        for (int i = 0; i < second.Count; i++)
        {
            yield return second[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
