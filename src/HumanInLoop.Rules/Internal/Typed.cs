namespace HumanInLoop.Rules.Internal;

/// <summary>A checked part of a condition: its type and how to compute it.</summary>
internal readonly record struct Typed(ValueKind Kind, Func<RuleScope, object> Evaluate);
