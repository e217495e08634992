using System.Security.Cryptography;
using HumanInLoop;
using HumanInLoop.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.AI;
using SseChat.Bank;

namespace SseChat.Chat;

/// <summary>
/// The chat: one POST streams the assistant's answer as Server-Sent Events. A transfer that needs approval ends the stream
/// with <c>approval_required</c> after everything is saved; the decision and the resume go through the package's endpoints.
/// </summary>
internal static class ChatEndpoints
{
    private const int MaxMessageLength = 2000;

    /// <summary>The header a chat page names itself with (a random id per page), so it can tell its own saves from others'.</summary>
    private const string PageHeader = "X-Chat-Page";

    public static void Map(WebApplication app)
    {
        app.MapPost("/chat", SendAsync).RequireAuthorization();
        app.MapGet("/chat/{conversationId}", GetAsync).RequireAuthorization();
        app.MapGet("/chat/{conversationId}/events", ConversationEventsEndpoint.StreamAsync).RequireAuthorization();
    }

    /// <summary>Sends one user message; the answer streams back. The browser sends only text and the conversation id.</summary>
    private static async Task<Results<ServerSentEventsResult<ChatSseEvent>, ProblemHttpResult>> SendAsync(
        ChatRequest request, HttpContext http, IAntiforgery antiforgery, IChatClient chat, SqliteBank bank, ConversationStore conversations,
        ApprovalService approvals, ConversationEvents events, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Problem(StatusCodes.Status400BadRequest, "Cross-site request refused.", "The anti-forgery token is missing or invalid.");
        }

        string user = http.User.Identity!.Name!;
        string text = (request.Message ?? "").Trim();
        if (text.Length is 0 or > MaxMessageLength)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid message.", $"Send 1 to {MaxMessageLength} characters.");
        }

        Conversation conversation;
        if (string.IsNullOrEmpty(request.ConversationId))
        {
            conversation = new Conversation(NewId(), user, [], null);
        }
        else if (await conversations.GetAsync(request.ConversationId, cancellationToken) is { } found && found.Owner == user)
        {
            conversation = found;
        }
        else
        {
            return Problem(StatusCodes.Status404NotFound, "No such conversation.", null);
        }

        if (conversation.PendingApprovalId is { } pendingId &&
            (await approvals.GetAsync(pendingId, cancellationToken)).Status is not (ApprovalStatus.Completed or ApprovalStatus.Cancelled))
        {
            return Problem(StatusCodes.Status409Conflict, "A decision is pending.", $"Approval '{pendingId}' must be decided and resumed before the next message.");
        }

        List<ChatMessage> history = [.. conversation.Messages, new ChatMessage(ChatRole.User, text)];
        ChatOptions options = new ChatOptions { Tools = BankTools.For(bank, user) }
            .WithCallerContext(new CallerContext { ConversationId = conversation.Id, UserId = user });
        ChatSseOptions stream = new()
        {
            ConversationId = conversation.Id,
            Viewer = new ApprovalEndpointOptions().ApproverFromUser(http.User), // the approval card's canDecide, as the inbox says it
            Logger = loggers.CreateLogger("SseChat.Chat"),
            OnCompleted = (completion, token) => SaveAsync(conversations, events, PageOf(http), conversation.Id, user, history, completion, token),
        };

        http.Response.Headers["X-Conversation-Id"] = conversation.Id;
        return TypedResults.ServerSentEvents(chat.GetStreamingResponseAsync(history, options, cancellationToken).ToServerSentEvents(stream, cancellationToken));
    }

    /// <summary>
    /// What a resume needs: the same pipeline, the owner's tools, and saving the conversation when it ends. Whoever resumes (the
    /// requester's chat page, the inbox, the approver's console), the save tells the requester's open pages, which show the answer.
    /// </summary>
    public static ValueTask<ApprovalResumeTarget> ResumeTargetAsync(ApprovalResumeArguments arguments)
    {
        IServiceProvider services = arguments.HttpContext.RequestServices;
        PendingApproval approval = arguments.Approval;
        string owner = approval.Context.UserId ?? throw new InvalidOperationException($"Approval '{approval.Id}' names no user.");
        ConversationStore conversations = services.GetRequiredService<ConversationStore>();
        ConversationEvents events = services.GetRequiredService<ConversationEvents>();
        string? page = PageOf(arguments.HttpContext);
        ChatOptions options = new() { Tools = BankTools.For(services.GetRequiredService<SqliteBank>(), owner) };
        ChatSseOptions stream = new()
        {
            ConversationId = approval.Context.ConversationId, // the resume endpoint sets the Viewer from the requesting user, as the inbox does
            OnCompleted = (completion, token) => approval.Context.ConversationId is { } id
                ? SaveAsync(conversations, events, page, id, owner, approval.Messages, completion, token)
                : ValueTask.CompletedTask,
        };
        IChatClient chat = services.GetRequiredService<IChatClient>();
        if (approval.Context.ConversationId is { } conversationId)
        {
            chat = new MirroringChatClient(chat, events, conversationId, page); // the requester's other pages watch the answer come in
        }

        return ValueTask.FromResult(new ApprovalResumeTarget(chat, options) { SseOptions = stream });
    }

    /// <summary>The conversation for display after a reload: text messages and the approval it waits for, if any.</summary>
    private static async Task<Results<Ok<ConversationView>, NotFound>> GetAsync(string conversationId, HttpContext http, ConversationStore conversations, CancellationToken cancellationToken)
    {
        if (await conversations.GetAsync(conversationId, cancellationToken) is not { } conversation || conversation.Owner != http.User.Identity!.Name)
        {
            return TypedResults.NotFound();
        }

        List<MessageView> messages = [.. conversation.Messages
            .Where(m => (m.Role == ChatRole.User || m.Role == ChatRole.Assistant) && !string.IsNullOrWhiteSpace(m.Text))
            .Select(m => new MessageView(m.Role.Value, m.Text))];
        return TypedResults.Ok(new ConversationView(conversation.Id, messages, conversation.PendingApprovalId));
    }

    private static async ValueTask SaveAsync(
        ConversationStore conversations, ConversationEvents events, string? page, string id, string owner, IReadOnlyList<ChatMessage> before,
        ChatSseCompletedArguments completion, CancellationToken cancellationToken)
    {
        switch (completion.Outcome)
        {
            case ChatSseOutcome.Completed:
                await conversations.SaveAsync(new Conversation(id, owner, [.. before, .. completion.Response.Messages], null), cancellationToken);
                break;
            case ChatSseOutcome.ApprovalRequired:
                // The approval holds the whole history up to the pause; the conversation points at it.
                await conversations.SaveAsync(new Conversation(id, owner, completion.Approval!.Messages, completion.Approval.Id), cancellationToken);
                break;
            default:
                return;
        }

        events.Saved(id, page);
    }

    private static string? PageOf(HttpContext http) =>
        http.Request.Headers[PageHeader].ToString() is { Length: > 0 and <= 64 } page ? page : null;

    private static ProblemHttpResult Problem(int status, string title, string? detail) => TypedResults.Problem(detail, statusCode: status, title: title);

    private static string NewId() => "conv_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}

internal sealed record ChatRequest(string? ConversationId, string? Message);

internal sealed record MessageView(string Role, string Text);

internal sealed record ConversationView(string ConversationId, IReadOnlyList<MessageView> Messages, string? PendingApprovalId);
