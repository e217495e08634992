namespace Microsoft.Extensions.AI;

/// <summary>Finds the function calls that function invocation would run.</summary>
internal static class FunctionCalls
{
    public static bool Any(IList<ChatMessage> messages)
    {
        for (int i = 0; i < messages.Count; i++)
        {
            if (Any(messages[i].Contents))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Any(IList<AIContent> contents)
    {
        for (int i = 0; i < contents.Count; i++)
        {
            if (contents[i] is FunctionCallContent { InformationalOnly: false })
            {
                return true;
            }
        }

        return false;
    }

    public static List<FunctionCallContent> Collect(IList<ChatMessage> messages)
    {
        List<FunctionCallContent> calls = [];
        HashSet<string> ids = new(StringComparer.Ordinal);
        foreach (ChatMessage message in messages)
        {
            foreach (AIContent content in message.Contents)
            {
                if (content is FunctionCallContent { InformationalOnly: false } call)
                {
                    if (string.IsNullOrEmpty(call.CallId) || !ids.Add(call.CallId))
                    {
                        throw new InvalidOperationException(
                            $"The model returned a call to '{call.Name}' with an empty or repeated call id; the approval gate cannot bind a decision to it, so nothing runs.");
                    }

                    calls.Add(call);
                }
            }
        }

        return calls;
    }
}
