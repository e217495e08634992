namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>What the scripted model answers: text, tool calls, or both; each server writes it in its own wire format.</summary>
/// <param name="Text">The text, or <see langword="null"/>.</param>
/// <param name="Calls">The tool calls, in order.</param>
public sealed record ModelTurn(string? Text, IReadOnlyList<WireToolCall> Calls)
{
    public static ModelTurn Say(string text) => new(text, []);

    public static ModelTurn Call(params WireToolCall[] calls) => new(null, calls);
}
