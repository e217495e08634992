using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using HumanInLoop.Samples;
using Microsoft.Extensions.AI;

namespace ApprovalWorkflow;

/// <summary>
/// A scripted stand-in for a real model, so the sample runs offline: "Pay invoice X of $Y to Z" becomes a
/// <c>pay_invoice</c> call; after the tool's result it reports what happened. Used unless a real model is configured (see <see cref="ModelSettings"/>).
/// </summary>
internal sealed partial class OfflineInvoiceModel : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        List<ChatMessage> history = [.. messages];
        ChatMessage last = history[^1];
        if (last.Role == ChatRole.Tool)
        {
            string results = string.Join("; ", last.Contents.OfType<FunctionResultContent>().Select(r => r.Result?.ToString()));
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done. " + results)));
        }

        Match match = Instruction().Match(last.Text);
        if (!match.Success)
        {
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "I can only pay invoices: \"Pay invoice X of $Y to Z\".")));
        }

        string invoiceId = match.Groups["id"].Value;
        Dictionary<string, object?> arguments = new()
        {
            ["invoiceId"] = invoiceId,
            ["amount"] = decimal.Parse(match.Groups["amount"].Value, CultureInfo.InvariantCulture).ToString("0.00", CultureInfo.InvariantCulture),
            ["payee"] = match.Groups["payee"].Value.Trim(),
        };
        ChatMessage call = new(ChatRole.Assistant, [new TextContent($"Paying invoice {invoiceId}."), new FunctionCallContent("pay-" + invoiceId, "pay_invoice", arguments)]);
        return Task.FromResult(new ChatResponse(call));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    [GeneratedRegex(@"^Pay invoice (?<id>[A-Za-z0-9_-]+) of \$(?<amount>[0-9]+(\.[0-9]{1,2})?) to (?<payee>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Instruction();
}
