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

    /// <summary>The calls of a response, in order; an array of exactly their number (usually one).</summary>
    public static FunctionCallContent[] Collect(IList<ChatMessage> messages)
    {
        int count = 0;
        for (int m = 0; m < messages.Count; m++)
        {
            count += Count(messages[m].Contents);
        }

        if (count == 0)
        {
            return [];
        }

        FunctionCallContent[] calls = new FunctionCallContent[count];
        int found = 0;
        for (int m = 0; m < messages.Count; m++)
        {
            Collect(messages[m].Contents, calls, ref found);
        }

        return calls;
    }

    /// <summary>The calls of a streamed response, in the order the updates brought them (the same objects its messages hold).</summary>
    public static FunctionCallContent[] Collect(List<ChatResponseUpdate> updates)
    {
        int count = 0;
        for (int u = 0; u < updates.Count; u++)
        {
            count += Count(updates[u].Contents);
        }

        if (count == 0)
        {
            return [];
        }

        FunctionCallContent[] calls = new FunctionCallContent[count];
        int found = 0;
        for (int u = 0; u < updates.Count; u++)
        {
            Collect(updates[u].Contents, calls, ref found);
        }

        return calls;
    }

    private static int Count(IList<AIContent> contents)
    {
        int count = 0;
        for (int c = 0; c < contents.Count; c++)
        {
            if (contents[c] is FunctionCallContent { InformationalOnly: false })
            {
                count++;
            }
        }

        return count;
    }

    private static void Collect(IList<AIContent> contents, FunctionCallContent[] calls, ref int found)
    {
        for (int c = 0; c < contents.Count; c++)
        {
            if (contents[c] is FunctionCallContent { InformationalOnly: false } call)
            {
                if (string.IsNullOrEmpty(call.CallId) || ContainsId(calls.AsSpan(0, found), call.CallId))
                {
                    throw new InvalidOperationException(
                        $"The model returned a call to '{call.Name}' with an empty or repeated call id; the approval gate cannot bind a decision to it, so nothing runs.");
                }

                calls[found++] = call;
            }
        }
    }

    // Responses hold a handful of calls: a scan beats hashing.
    private static bool ContainsId(ReadOnlySpan<FunctionCallContent> calls, string callId)
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
