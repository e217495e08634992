using System.Collections;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>A recorded call's conversation, read from the store only when a policy first looks at it.</summary>
internal sealed class LazyMessages(RecordedCall call) : IReadOnlyList<ChatMessage>
{
    private IReadOnlyList<ChatMessage>? _messages;

    public int Count => Messages.Count;

    private IReadOnlyList<ChatMessage> Messages => _messages ??= call.Messages;

    public ChatMessage this[int index] => Messages[index];

    public IEnumerator<ChatMessage> GetEnumerator() => Messages.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
