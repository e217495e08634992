using NCalc;

namespace HumanInLoop.Rules.Internal;

/// <summary>The functions a condition may call: <c>Abs</c>, <c>Min</c>, <c>Max</c>, <c>Round</c> (on numbers) and <c>if</c>.</summary>
internal static class ConditionFunctions
{
    public static readonly string[] Allowed = ["Abs", "Min", "Max", "Round", "if"];

    public static Typed Call(ConditionChecker checker, Function function, int depth)
    {
        string name = function.Identifier.Name;
        LogicalExpressionList arguments = function.Parameters;
        switch (name)
        {
            case "if":
                Arity(name, arguments, 3);
                return checker.Conditional(arguments[0], arguments[1], arguments[2], depth);
            case "Abs":
                Arity(name, arguments, 1);
                Func<RuleScope, object> value = Number(checker, arguments[0], depth, name);
                return new(ValueKind.Number, s => Math.Abs((decimal)value(s)));
            case "Min" or "Max":
                Arity(name, arguments, 2);
                Func<RuleScope, object> a = Number(checker, arguments[0], depth, name);
                Func<RuleScope, object> b = Number(checker, arguments[1], depth, name);
                return name == "Min"
                    ? new(ValueKind.Number, s => Math.Min((decimal)a(s), (decimal)b(s)))
                    : new(ValueKind.Number, s => Math.Max((decimal)a(s), (decimal)b(s)));
            case "Round":
                Arity(name, arguments, 2);
                Func<RuleScope, object> rounded = Number(checker, arguments[0], depth, name);
                if (arguments[1] is not ValueExpression { Value: long digits and >= 0 and <= 28 })
                {
                    throw new FormatException("The second argument of Round must be a whole number of decimals from 0 to 28, written as a number.");
                }

                int places = (int)(long)((ValueExpression)arguments[1]).Value!;
                return new(ValueKind.Number, s => Math.Round((decimal)rounded(s), places, MidpointRounding.ToEven));
            default:
                throw new FormatException($"The function '{name}' is not allowed; a condition may call {string.Join(", ", Allowed)}.");
        }
    }

    private static void Arity(string name, LogicalExpressionList arguments, int count)
    {
        if (arguments.Count != count)
        {
            throw new FormatException($"The function '{name}' takes {count} argument(s), not {arguments.Count}.");
        }
    }

    private static Func<RuleScope, object> Number(ConditionChecker checker, LogicalExpression argument, int depth, string name) =>
        checker.Expect(argument, depth + 1, ValueKind.Number, $"An argument of {name}").Evaluate;
}
