using System.Globalization;

namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>
/// The scripted model, a function of the request only (so it answers the same across a pause and a resume):
/// "transfer N to X" calls transfer; "balance and transfer N to X" calls check_balance and transfer in one response;
/// "transfer N to X and M to Y" calls transfer twice; "balance" calls check_balance; "delete" calls delete_account and
/// check_balance; "transfer N to X then M to Y" calls transfer, and once that is answered, transfer again; after tool
/// results it reports them.
/// Call ids look like OpenAI's.
/// </summary>
public static class BankScript
{
    public const string TransferId = "call_q8MPXJ0dvjKgCw1oTjNVGsPq";
    public const string SecondTransferId = "call_Z3vNq1cKd0rW8mYpLh2sTxEe";
    public const string BalanceId = "call_7fJmB2wQnXk9Lr4Vt6HsPcAa";
    public const string DeleteId = "call_Kd83nVq0ZpLw5xTe1RyUmB7c";

    public static ModelTurn Respond(WireRequest request)
    {
        WireMessage last = request.Last;
        string[] first = (request.Messages.First(m => m.Role == "user").Content ?? "").ToLowerInvariant().Split(' ');
        if (last.Role == "tool" && first is ["transfer", _, "to", _, "then", var thenAmount, "to", var thenTo] &&
            request.Messages.Count(m => m.ToolCalls.Count > 0) == 1)
        {
            return ModelTurn.Call(Transfer(SecondTransferId, thenTo, thenAmount));
        }

        if (last.Role == "tool")
        {
            IEnumerable<string> results = request.Messages.Reverse().TakeWhile(m => m.Role == "tool").Reverse().Select(m => m.Content ?? "");
            return ModelTurn.Say("Done. " + string.Join("; ", results));
        }

        string[] words = (last.Content ?? "").ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words switch
        {
            ["balance", "and", "transfer", var amount, "to", var to] => ModelTurn.Call(Balance(), Transfer(TransferId, to, amount)),
            ["transfer", var amount, "to", var to, "and", var amount2, "to", var to2] =>
                ModelTurn.Call(Transfer(TransferId, to, amount), Transfer(SecondTransferId, to2, amount2)),
            ["transfer", var amount, "to", var to, ..] => new ModelTurn("Sending it now.", [Transfer(TransferId, to, amount)]),
            ["balance"] => ModelTurn.Call(Balance()),
            ["delete"] => ModelTurn.Call(new WireToolCall(DeleteId, "delete_account", "{}"), Balance()),
            _ => ModelTurn.Say("Hello, how can I help?"),
        };
    }

    public static WireToolCall Transfer(string id, string to, string amount) =>
        new(id, "transfer", $$"""{"to":"{{to}}","amount":{{decimal.Parse(amount, CultureInfo.InvariantCulture)}}}""");

    public static WireToolCall Balance() => new(BalanceId, "check_balance", "{}");
}
