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
        for (int m = 0; m < messages.Count; m++)
        {
            Collect(messages[m].Contents, calls);
        }

        return calls;
    }

    /// <summary>The calls of a streamed response, in the order the updates brought them (the same objects its messages hold).</summary>
    public static List<FunctionCallContent> Collect(List<ChatResponseUpdate> updates)
    {
        List<FunctionCallContent> calls = [];
        for (int u = 0; u < updates.Count; u++)
        {
            Collect(updates[u].Contents, calls);
        }

        return calls;
    }

    private static void Collect(IList<AIContent> contents, List<FunctionCallContent> calls)
    {
        for (int c = 0; c < contents.Count; c++)
        {
            if (contents[c] is FunctionCallContent { InformationalOnly: false } call)
            {
                if (string.IsNullOrEmpty(call.CallId) || ContainsId(calls, call.CallId))
                {
                    throw new InvalidOperationException(
                        $"The model returned a call to '{call.Name}' with an empty or repeated call id; the approval gate cannot bind a decision to it, so nothing runs.");
                }

                calls.Add(call);
            }
        }
    }

    // Responses hold a handful of calls: a scan beats hashing.
    private static bool ContainsId(List<FunctionCallContent> calls, string callId)
    {
        foreach (FunctionCallContent call in calls)
        {
            if (string.Equals(call.CallId, callId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
