namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>A tool call as it travelled on the wire, in either direction, whatever the provider's format.</summary>
/// <param name="Id">The call id (<see langword="null"/> when the wire format carries none).</param>
/// <param name="Name">The function name.</param>
/// <param name="ArgumentsJson">The arguments as a JSON object, as text.</param>
public sealed record WireToolCall(string? Id, string Name, string ArgumentsJson);
