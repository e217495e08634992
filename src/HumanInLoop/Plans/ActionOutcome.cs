using System.Text.Json;

namespace HumanInLoop;

/// <summary>What happened to one action of a plan: decided how, run or not, and its result.</summary>
/// <param name="Id">The action's id (given, or its position).</param>
/// <param name="Name">The tool that carries it out.</param>
/// <param name="Decision">What was decided about it.</param>
/// <param name="Execution">Whether it ran.</param>
/// <param name="Reason">The policy's or the person's reason, if any.</param>
/// <param name="Result">What the tool returned, or the message given in its place.</param>
public sealed record ActionOutcome(string Id, string Name, CallDecisionStatus Decision, CallExecutionStatus Execution, string? Reason, JsonElement? Result);
