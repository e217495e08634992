using Microsoft.Extensions.AI;

namespace HumanInLoop.Interop.Tests;

/// <summary>One request through a pipeline, streaming or not: the response or the error, and every update the caller saw.</summary>
public sealed class Turn
{
    private Turn(ChatResponse? response, Exception? error, IReadOnlyList<ChatResponseUpdate> updates, IReadOnlyList<ChatMessage>? conversation = null)
    {
        Response = response;
        Error = error;
        Updates = updates;
        Conversation = conversation;
    }

    public ChatResponse? Response { get; }

    public Exception? Error { get; }

    /// <summary>Gets the updates the caller received before the end or the error (streaming only).</summary>
    public IReadOnlyList<ChatResponseUpdate> Updates { get; }

    /// <summary>Gets, after a resume, the whole conversation to continue from.</summary>
    public IReadOnlyList<ChatMessage>? Conversation { get; }

    /// <summary>Gets the approval the turn paused on; fails the test if it did not pause.</summary>
    public PendingApproval Pending => Assert.IsType<PendingApprovalException>(Error).Approval;

    public static Task<Turn> SendAsync(IChatClient client, string text, ChatOptions options, bool streaming) =>
        SendAsync(client, [new ChatMessage(ChatRole.User, text)], options, streaming);

    public static async Task<Turn> SendAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions options, bool streaming)
    {
        List<ChatResponseUpdate> updates = [];
        try
        {
            if (!streaming)
            {
                return new Turn(await client.GetResponseAsync(messages, options), null, updates);
            }

            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, options))
            {
                updates.Add(update);
            }

            return new Turn(updates.ToChatResponse(), null, updates);
        }
        catch (Exception exception)
        {
            return new Turn(null, exception, updates);
        }
    }

    /// <summary>Resumes with <see cref="ApprovalService.ResumeAsync"/> or <see cref="ApprovalService.ResumeStreamingAsync"/>.</summary>
    public static async Task<Turn> ResumeAsync(ApprovalService approvals, string approvalId, IChatClient client, ChatOptions options, bool streaming)
    {
        List<ChatResponseUpdate> updates = [];
        try
        {
            if (!streaming)
            {
                ResumeResult result = await approvals.ResumeAsync(approvalId, client, options);
                return new Turn(result.Response, null, updates, result.Messages);
            }

            await foreach (ChatResponseUpdate update in approvals.ResumeStreamingAsync(approvalId, client, options))
            {
                updates.Add(update);
            }

            ChatResponse response = updates.ToChatResponse();
            PendingApproval completed = await approvals.GetAsync(approvalId);
            return new Turn(response, null, updates, [.. completed.Messages, .. response.Messages]);
        }
        catch (Exception exception)
        {
            return new Turn(null, exception, updates);
        }
    }
}
