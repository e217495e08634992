using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace SseChat.Chat;

/// <summary>
/// An offline stand-in for a model, so the sample runs without a network or a key. Its answer is a function of the history
/// only, so it works across resumes and restarts: "transfer 150 to bob" calls transfer, "balance" calls check_balance,
/// "deposit 50" calls deposit, and after tool results it reports them. Streaming sends the text word by word.
/// </summary>
internal sealed partial class ScriptedBankModel : IChatClient
{
    private readonly TimeSpan _wordDelay;

    public ScriptedBankModel(TimeSpan wordDelay)
    {
        _wordDelay = wordDelay;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(Respond([.. messages])) { FinishReason = ChatFinishReason.Stop });

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatMessage answer = Respond([.. messages]);
        string messageId = answer.MessageId!;
        foreach (AIContent content in answer.Contents)
        {
            if (content is TextContent text)
            {
                foreach (string word in Words(text.Text))
                {
                    await Delay(cancellationToken);
                    yield return new ChatResponseUpdate(ChatRole.Assistant, word) { MessageId = messageId };
                }
            }
            else
            {
                await Delay(cancellationToken);
                yield return new ChatResponseUpdate(ChatRole.Assistant, [content]) { MessageId = messageId };
            }
        }

        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, MessageId = messageId, FinishReason = answer.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static ChatMessage Respond(List<ChatMessage> messages)
    {
        string messageId = $"msg_{messages.Count}";
        ChatMessage last = messages[^1];
        if (last.Role == ChatRole.Tool)
        {
            // Report every result of the last round of tool calls.
            List<string> reports = [];
            foreach (FunctionResultContent result in messages.AsEnumerable().Reverse().TakeWhile(m => m.Role == ChatRole.Tool)
                .Reverse().SelectMany(m => m.Contents.OfType<FunctionResultContent>()))
            {
                string text = result.Result?.ToString() ?? "";
                reports.Add(text.Contains("rejected by the approver", StringComparison.Ordinal)
                    ? "I did not make the transfer: the teller rejected it. " + ReasonOf(text)
                    : text.Contains("expired", StringComparison.Ordinal) ? "Nobody approved the transfer in time, so I did not make it." : text);
            }

            return new ChatMessage(ChatRole.Assistant, string.Join(" ", reports)) { MessageId = messageId };
        }

        string user = last.Text.Trim();
        string callId = $"call_{messages.Count}";
        if (TransferPattern().Match(user) is { Success: true } transfer)
        {
            decimal amount = decimal.Parse(transfer.Groups["amount"].Value, CultureInfo.InvariantCulture);
            string to = transfer.Groups["to"].Value.ToLowerInvariant();
            return new ChatMessage(ChatRole.Assistant,
            [
                new TextContent($"I'll transfer {amount.ToString("$#,##0.00", CultureInfo.InvariantCulture)} to {to}."),
                new FunctionCallContent(callId, "transfer", new Dictionary<string, object?> { ["to"] = to, ["amount"] = amount }),
            ]) { MessageId = messageId };
        }

        if (DepositPattern().Match(user) is { Success: true } deposit)
        {
            decimal amount = decimal.Parse(deposit.Groups["amount"].Value, CultureInfo.InvariantCulture);
            return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, "deposit", new Dictionary<string, object?> { ["amount"] = amount })]) { MessageId = messageId };
        }

        if (user.Contains("balance", StringComparison.OrdinalIgnoreCase))
        {
            return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, "check_balance", new Dictionary<string, object?>())]) { MessageId = messageId };
        }

        return new ChatMessage(ChatRole.Assistant,
            "I can check your balance, make deposits and transfer money. Try \"transfer $150 to bob\" (over $100 needs a teller's approval).") { MessageId = messageId };
    }

    private static string ReasonOf(string result)
    {
        int at = result.IndexOf("Reason:", StringComparison.Ordinal);
        return at < 0 ? "" : "Reason: " + result[(at + "Reason:".Length)..].Trim();
    }

    private async Task Delay(CancellationToken cancellationToken)
    {
        if (_wordDelay > TimeSpan.Zero)
        {
            await Task.Delay(_wordDelay, cancellationToken);
        }
        else
        {
            await Task.Yield();
        }
    }

    private static IEnumerable<string> Words(string text)
    {
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    [GeneratedRegex(@"\b(?:transfer|send|pay)\s+\$?(?<amount>\d+(?:\.\d{1,2})?)\s+(?:dollars\s+)?to\s+(?<to>[A-Za-z][\w-]*)", RegexOptions.IgnoreCase)]
    private static partial Regex TransferPattern();

    [GeneratedRegex(@"\bdeposit\s+\$?(?<amount>\d+(?:\.\d{1,2})?)", RegexOptions.IgnoreCase)]
    private static partial Regex DepositPattern();
}
