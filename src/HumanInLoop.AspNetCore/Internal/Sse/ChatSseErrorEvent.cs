namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The request failed after the stream had started. The last event of its stream; shaped like a problem details object.</summary>
/// <param name="Status">The HTTP status the error would have had before the stream started (409, 410, 500, ...).</param>
/// <param name="Title">A short, safe description.</param>
/// <param name="Detail">More about this occurrence; exception messages appear only for HumanInLoop's typed errors, which are written for users.</param>
internal sealed record ChatSseErrorEvent(int Status, string Title, string? Detail) : ChatSseEvent
{
    internal override string EventType => ChatSseEventTypes.Error;
}
