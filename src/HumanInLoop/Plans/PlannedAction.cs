using System.Text.Json;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>
/// One action of a typed plan (the "router" style: the model returns a plan through structured output, code runs it).
/// Its <see cref="Name"/> names the tool that carries it out and the policies see it exactly like a tool call.
/// </summary>
/// <remarks>Instances are immutable.</remarks>
public sealed class PlannedAction
{
    /// <summary>Initializes a new instance of the <see cref="PlannedAction"/> class.</summary>
    /// <param name="name">The tool that carries the action out, as policies name it.</param>
    /// <param name="arguments">The arguments, a JSON object.</param>
    /// <param name="id">A unique id within the plan; <see langword="null"/> numbers actions by position.</param>
    public PlannedAction(string name, JsonElement arguments, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Arguments = CanonicalJson.Canonicalize(arguments);
        Id = id;
    }

    /// <summary>Gets the tool that carries the action out.</summary>
    public string Name { get; }

    /// <summary>Gets the arguments, as a JSON object with sorted keys.</summary>
    public JsonElement Arguments { get; }

    /// <summary>Gets the id of the action within its plan, if one was given.</summary>
    public string? Id { get; }

    /// <summary>Makes an action from a typed value, such as a record the model returned through structured output.</summary>
    /// <typeparam name="T">The type of the arguments.</typeparam>
    /// <param name="name">The tool that carries the action out.</param>
    /// <param name="arguments">The typed arguments; written with camelCase names.</param>
    /// <param name="id">A unique id within the plan, or <see langword="null"/>.</param>
    /// <returns>The action.</returns>
    public static PlannedAction Create<T>(string name, T arguments, string? id = null) =>
        new(name, JsonSerializer.SerializeToElement(arguments, HumanInLoopJson.ArgumentOptions), id);
}
