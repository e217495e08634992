using System.Globalization;
using NCalc;
using NCalc.Exceptions;

namespace HumanInLoop.Rules.Internal;

/// <summary>
/// A rule's condition: NCalc's parser reads the text, then this class checks the tree against the tool's argument types and compiles it
/// into delegates over <see cref="decimal"/>, <see cref="string"/> and <see cref="bool"/> only. What it does not know it refuses.
/// </summary>
/// <remarks>Thread-safe once compiled. Evaluation is bounded: no loops exist, the text, the tree and its depth are capped, and a string read is capped.</remarks>
internal sealed class RuleCondition
{
    /// <summary>The longest condition, in characters.</summary>
    public const int MaxLength = 1000;

    /// <summary>The most operators, names and values a condition may hold.</summary>
    public const int MaxNodes = 100;

    /// <summary>The deepest nesting of a condition.</summary>
    public const int MaxDepth = 32;

    private static readonly LogicalExpressionParserOptions s_parserOptions = new()
    {
        FloatingPointNumberType = FloatingPointNumberType.Decimal,
        IntegerNumberType = IntegerNumberType.Int64,
    };

    private readonly Func<RuleScope, object> _evaluate;

    private RuleCondition(Func<RuleScope, object> evaluate) => _evaluate = evaluate;

    /// <summary>Parses and checks a condition.</summary>
    /// <param name="text">The condition.</param>
    /// <param name="names">The names it may read (the tool's arguments and the context names) and their types.</param>
    /// <returns>The compiled condition.</returns>
    /// <exception cref="FormatException">The condition does not parse, does not type-check, or goes beyond a bound; the message says why.</exception>
    public static RuleCondition Compile(string text, IReadOnlyDictionary<string, ValueKind> names)
    {
        if (text.Length > MaxLength)
        {
            throw new FormatException($"The condition is {text.Length} characters long; at most {MaxLength} are allowed.");
        }

        LogicalExpression tree;
        try
        {
            tree = LogicalExpressionParser.Parse(text, s_parserOptions, CultureInfo.InvariantCulture, CancellationToken.None);
        }
        catch (Exception e) when (e is NCalcException or OverflowException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"The condition does not parse: {e.Message}", e);
        }

        ConditionChecker checker = new(names);
        Typed root = checker.Check(tree, 1);
        if (root.Kind != ValueKind.Boolean)
        {
            throw new FormatException($"The condition must be true or false; it is a {root.Kind.ToString().ToLowerInvariant()}.");
        }

        return new RuleCondition(root.Evaluate);
    }

    /// <summary>Evaluates the condition for one call.</summary>
    /// <exception cref="RuleEvaluationException">An argument is missing, mistyped, or beyond a bound.</exception>
    /// <exception cref="ArithmeticException">An overflow or a division by zero.</exception>
    public bool IsTrue(RuleScope scope) => (bool)_evaluate(scope);
}
