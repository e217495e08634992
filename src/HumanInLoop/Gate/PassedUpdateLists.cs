using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>
/// One list per thread for the streamed updates that passed the gate before a call appeared, reused by the next response that
/// had no call (nobody else saw its list), so a streaming response without calls allocates no list.
/// </summary>
internal static class PassedUpdateLists
{
    [ThreadStatic]
    private static List<ChatResponseUpdate>? t_passedList;

    public static List<ChatResponseUpdate> Rent()
    {
        List<ChatResponseUpdate> list = t_passedList ?? [];
        t_passedList = null;
        return list;
    }

    public static void Return(List<ChatResponseUpdate>? list)
    {
        if (list is { Capacity: <= 256 })
        {
            list.Clear();
            t_passedList = list;
        }
    }
}
