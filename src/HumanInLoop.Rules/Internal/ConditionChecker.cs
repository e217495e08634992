using NCalc;

namespace HumanInLoop.Rules.Internal;

/// <summary>
/// Checks a parsed condition and compiles it: names must be the tool's arguments or the context names, operators and functions must be
/// on the short list below, both sides of an operator must have the same type, and numbers are <see cref="decimal"/> throughout.
/// </summary>
internal sealed class ConditionChecker(IReadOnlyDictionary<string, ValueKind> names)
{
    private int _nodes;

    public Typed Check(LogicalExpression node, int depth)
    {
        if (++_nodes > RuleCondition.MaxNodes)
        {
            throw new FormatException($"The condition has more than {RuleCondition.MaxNodes} operators, names and values.");
        }

        if (depth > RuleCondition.MaxDepth)
        {
            throw new FormatException($"The condition nests deeper than {RuleCondition.MaxDepth} levels.");
        }

        return node switch
        {
            ValueExpression value => Literal(value),
            Identifier identifier => Name(identifier.Name),
            UnaryExpression unary => Unary(unary, depth),
            BinaryExpression binary => Binary(binary, depth),
            TernaryExpression ternary => Conditional(ternary.LeftExpression, ternary.MiddleExpression, ternary.RightExpression, depth),
            Function function => ConditionFunctions.Call(this, function, depth),
            LogicalExpressionList => throw new FormatException("A list of values is allowed only after 'in' or 'not in'."),
            _ => throw new FormatException($"The condition holds an expression of a kind that is not allowed ({node.GetType().Name})."),
        };
    }

    public Typed Expect(LogicalExpression node, int depth, ValueKind kind, string where)
    {
        Typed typed = Check(node, depth);
        return typed.Kind == kind
            ? typed
            : throw new FormatException($"{where} must be a {Describe(kind)}, not a {Describe(typed.Kind)}.");
    }

    public Typed Conditional(LogicalExpression test, LogicalExpression whenTrue, LogicalExpression whenFalse, int depth)
    {
        Func<RuleScope, object> condition = Expect(test, depth + 1, ValueKind.Boolean, "The test of a conditional").Evaluate;
        Typed yes = Check(whenTrue, depth + 1);
        Func<RuleScope, object> no = Expect(whenFalse, depth + 1, yes.Kind, "Both branches of a conditional").Evaluate;
        Func<RuleScope, object> first = yes.Evaluate;
        return new(yes.Kind, s => (bool)condition(s) ? first(s) : no(s));
    }

    public static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Number => "number",
        ValueKind.String => "string",
        _ => "boolean",
    };

    private static Typed Literal(ValueExpression value)
    {
        object constant = value.Value switch
        {
            long or int or decimal => Convert.ToDecimal(value.Value, System.Globalization.CultureInfo.InvariantCulture),
            string text => text,
            bool flag => flag,
            _ => throw new FormatException($"The value {value.Value} ({value.Type}) is not allowed: use numbers, 'strings', true and false."),
        };
        ValueKind kind = constant switch
        {
            decimal => ValueKind.Number,
            string => ValueKind.String,
            _ => ValueKind.Boolean,
        };
        return new(kind, _ => constant);
    }

    private Typed Name(string name)
    {
        if (!names.TryGetValue(name, out ValueKind kind))
        {
            string known = string.Join(", ", names.Keys.Where(k => !k.StartsWith('_')).Order(StringComparer.Ordinal));
            throw new FormatException(
                $"The name '{name}' is neither an argument of the tool ({(known.Length == 0 ? "it has none a condition can read" : known)}) nor a context name ({string.Join(", ", RuleScope.ContextNames.Keys)}).");
        }

        return new(kind, s => s.Read(name, kind));
    }

    private Typed Unary(UnaryExpression unary, int depth)
    {
        switch (unary.Type)
        {
            case UnaryExpressionType.Not:
                Func<RuleScope, object> operand = Expect(unary.Expression, depth + 1, ValueKind.Boolean, "The operand of 'not'").Evaluate;
                return new(ValueKind.Boolean, s => !(bool)operand(s));
            case UnaryExpressionType.Negate:
                Func<RuleScope, object> number = Expect(unary.Expression, depth + 1, ValueKind.Number, "The operand of '-'").Evaluate;
                return new(ValueKind.Number, s => -(decimal)number(s));
            case UnaryExpressionType.Positive:
                return Expect(unary.Expression, depth + 1, ValueKind.Number, "The operand of '+'");
            default:
                throw new FormatException($"The operator {unary.Type} is not allowed.");
        }
    }

    private Typed Binary(BinaryExpression binary, int depth)
    {
        BinaryExpressionType type = binary.Type;
        if (type is BinaryExpressionType.In or BinaryExpressionType.NotIn)
        {
            return Membership(binary, depth);
        }

        if (type is BinaryExpressionType.And or BinaryExpressionType.Or)
        {
            Func<RuleScope, object> left = Expect(binary.LeftExpression, depth + 1, ValueKind.Boolean, $"Each side of '{type}'").Evaluate;
            Func<RuleScope, object> right = Expect(binary.RightExpression, depth + 1, ValueKind.Boolean, $"Each side of '{type}'").Evaluate;
            return type == BinaryExpressionType.And
                ? new(ValueKind.Boolean, s => (bool)left(s) && (bool)right(s))
                : new(ValueKind.Boolean, s => (bool)left(s) || (bool)right(s));
        }

        Typed first = Check(binary.LeftExpression, depth + 1);
        Func<RuleScope, object> a = first.Evaluate;
        Func<RuleScope, object> b = Expect(binary.RightExpression, depth + 1, first.Kind, $"The right side of '{type}' (the left side's type)").Evaluate;
        return type switch
        {
            BinaryExpressionType.Equal => new(ValueKind.Boolean, s => Equals(a(s), b(s))),
            BinaryExpressionType.NotEqual => new(ValueKind.Boolean, s => !Equals(a(s), b(s))),
            BinaryExpressionType.Lesser => Ordered(first.Kind, type, a, b, c => c < 0),
            BinaryExpressionType.LesserOrEqual => Ordered(first.Kind, type, a, b, c => c <= 0),
            BinaryExpressionType.Greater => Ordered(first.Kind, type, a, b, c => c > 0),
            BinaryExpressionType.GreaterOrEqual => Ordered(first.Kind, type, a, b, c => c >= 0),
            BinaryExpressionType.Plus => Arithmetic(first.Kind, type, a, b, (x, y) => x + y),
            BinaryExpressionType.Minus => Arithmetic(first.Kind, type, a, b, (x, y) => x - y),
            BinaryExpressionType.Times => Arithmetic(first.Kind, type, a, b, (x, y) => x * y),
            BinaryExpressionType.Div => Arithmetic(first.Kind, type, a, b, (x, y) => x / y),
            BinaryExpressionType.Modulo => Arithmetic(first.Kind, type, a, b, (x, y) => x % y),
            _ => throw new FormatException($"The operator {type} is not allowed."),
        };
    }

    private static Typed Ordered(ValueKind kind, BinaryExpressionType type, Func<RuleScope, object> a, Func<RuleScope, object> b, Func<int, bool> test) => kind switch
    {
        ValueKind.Number => new(ValueKind.Boolean, s => test(((decimal)a(s)).CompareTo((decimal)b(s)))),
        ValueKind.String => new(ValueKind.Boolean, s => test(string.CompareOrdinal((string)a(s), (string)b(s)))),
        _ => throw new FormatException($"The operator {type} compares numbers or strings, not booleans."),
    };

    private static Typed Arithmetic(ValueKind kind, BinaryExpressionType type, Func<RuleScope, object> a, Func<RuleScope, object> b, Func<decimal, decimal, decimal> operation) =>
        kind == ValueKind.Number
            ? new(ValueKind.Number, s => operation((decimal)a(s), (decimal)b(s)))
            : throw new FormatException($"The operator {type} works on numbers, not on a {Describe(kind)}.");

    private Typed Membership(BinaryExpression binary, int depth)
    {
        Typed item = Check(binary.LeftExpression, depth + 1);
        if (binary.RightExpression is not LogicalExpressionList list || list.Count == 0)
        {
            throw new FormatException("The right side of 'in' must be a list of values in parentheses, such as ('EUR', 'USD').");
        }

        Func<RuleScope, object>[] values = [.. list.Select(e => Expect(e, depth + 1, item.Kind, "Each value of the list after 'in'").Evaluate)];
        Func<RuleScope, object> find = item.Evaluate;
        bool wanted = binary.Type == BinaryExpressionType.In;
        return new(ValueKind.Boolean, s =>
        {
            object value = find(s);
            return values.Any(v => Equals(value, v(s))) == wanted;
        });
    }
}
