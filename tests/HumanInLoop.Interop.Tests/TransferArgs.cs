namespace HumanInLoop.Interop.Tests;

/// <summary>The transfer tool's parameters, for typed policies and assertions.</summary>
public sealed record TransferArgs(string To, decimal Amount);
