namespace HumanInLoop.Rules.Internal;

/// <summary>The types a condition works with: every number is a <see cref="decimal"/>.</summary>
internal enum ValueKind
{
    Number,
    String,
    Boolean,
}
