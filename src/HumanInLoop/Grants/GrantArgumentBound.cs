using System.Text.Json;
using System.Text.Json.Serialization;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>
/// A bound a standing grant puts on one top-level argument: the argument must equal a value (<see cref="Equal"/>), or be a
/// number no greater than a maximum (<see cref="AtMost"/>). A call without the argument is not covered.
/// </summary>
/// <remarks>Values compare as JSON values: numbers as decimals (<c>100</c> equals <c>100.0</c>), objects with keys in any order.</remarks>
public sealed record GrantArgumentBound
{
    [JsonConstructor]
    internal GrantArgumentBound(string name, JsonElement? equalTo, decimal? maximum)
    {
        Name = name;
        EqualTo = equalTo;
        Maximum = maximum;
    }

    /// <summary>Gets the argument's name.</summary>
    public string Name { get; }

    /// <summary>Gets the value the argument must equal, or <see langword="null"/> for a maximum.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? EqualTo { get; }

    /// <summary>Gets the largest number the argument may be, or <see langword="null"/> for an equality.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Maximum { get; }

    /// <summary>Bounds an argument to one value.</summary>
    /// <param name="name">The argument's name.</param>
    /// <param name="value">The value (serialized as the tool's arguments are).</param>
    /// <returns>The bound.</returns>
    public static GrantArgumentBound Equal(string name, object? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new(name, CanonicalJson.FromArguments(new Dictionary<string, object?> { [name] = value }).GetProperty(name), null);
    }

    /// <summary>Bounds a numeric argument to a maximum (inclusive).</summary>
    /// <param name="name">The argument's name.</param>
    /// <param name="maximum">The largest number allowed.</param>
    /// <returns>The bound.</returns>
    public static GrantArgumentBound AtMost(string name, decimal maximum)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new(name, null, maximum);
    }

    /// <summary>Checks arguments against the bound.</summary>
    /// <param name="arguments">A call's arguments (a JSON object).</param>
    /// <returns><see langword="true"/> if the argument is present and within the bound.</returns>
    public bool IsSatisfiedBy(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty(Name, out JsonElement value))
        {
            return false;
        }

        if (EqualTo is { } expected)
        {
            return CanonicalJson.SemanticallyEqual(expected, value);
        }

        return Maximum is { } maximum && CanonicalJson.TryReadDecimal(value, out decimal number) && number <= maximum;
    }

    /// <inheritdoc />
    public override string ToString() => EqualTo is { } value ? $"{Name} = {value.GetRawText()}" : $"{Name} <= {Maximum}";
}
