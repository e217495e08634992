using System.Text.Json;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>One tool call as a policy sees it: the tool, its exact arguments, and the request's context.</summary>
/// <remarks>Not thread-safe; each evaluation gets its own instance.</remarks>
public sealed class PolicyEvaluationContext
{
    private readonly IDictionary<string, object?>? _rawArguments;
    private JsonElement? _arguments;
    private object? _typedArguments;
    private long _recordedAtUtcTicks;

    internal PolicyEvaluationContext(
        string toolName, string callId, IDictionary<string, object?>? rawArguments, JsonElement? arguments, CallerContext context, IReadOnlyList<ChatMessage> messages,
        bool toolMarkedApprovalRequired = false)
    {
        ToolName = toolName;
        IsToolMarkedApprovalRequired = toolMarkedApprovalRequired;
        CallId = callId;
        _rawArguments = rawArguments;
        _arguments = arguments;
        Context = context;
        Messages = messages;
    }

    /// <summary>Gets the name of the tool the model wants to call.</summary>
    public string ToolName { get; }

    /// <summary>
    /// Gets whether the tool the call names is marked as needing approval with Microsoft.Extensions.AI's
    /// <see cref="ApprovalRequiredAIFunction"/> (also when <see cref="ApprovalService.ProtectTools"/> wrapped it).
    /// <see cref="ApprovalPolicy.ApprovalRequiredAIFunctions"/> reads it.
    /// </summary>
    /// <value>
    /// Known where the tools are: for the gate (the request's <see cref="ChatOptions.Tools"/>) and for plans (the tools
    /// given). <see langword="false"/> where no tool is at hand: when edited arguments are checked again, and in replays of
    /// recorded calls.
    /// </value>
    public bool IsToolMarkedApprovalRequired { get; }

    /// <summary>Gets the id the model gave the call.</summary>
    public string CallId { get; }

    /// <summary>Gets the exact arguments as a JSON object with sorted keys.</summary>
    public JsonElement Arguments => _arguments ??= CanonicalJson.FromArguments(_rawArguments);

    /// <summary>Gets the canonical arguments if a policy (or the gate) has already computed them.</summary>
    internal JsonElement? ComputedArguments => _arguments;

    /// <summary>Gets who and what the request is about.</summary>
    public CallerContext Context { get; }

    /// <summary>
    /// Gets when the call was made, for a call judged after the fact: the recorded time (<see cref="RecordedCall.SeenAt"/>) in a replay
    /// (<see cref="ApprovalHistory.ReplayAsync"/>), so that a policy that depends on the time of day judges a past call as it would
    /// have then. <see langword="null"/> for a call judged as it is made: read the clock.
    /// </summary>
    public DateTimeOffset? RecordedAt
    {
        get => _recordedAtUtcTicks == 0 ? null : new DateTimeOffset(_recordedAtUtcTicks, TimeSpan.Zero);
        internal init => _recordedAtUtcTicks = value?.UtcTicks ?? 0; // 8 bytes, not a nullable's 24: every call the gate judges makes a context
    }

    /// <summary>Gets the conversation so far, including the assistant message that holds the call.</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>Reads the arguments into <typeparamref name="T"/> (for example a record with the tool's parameters).</summary>
    /// <typeparam name="T">The type to read the arguments into. Property names match case-insensitively.</typeparam>
    /// <returns>The arguments.</returns>
    /// <exception cref="JsonException">The arguments do not fit <typeparamref name="T"/>.</exception>
    public T GetArguments<T>()
    {
        if (_typedArguments is T cached)
        {
            return cached;
        }

        T value = Arguments.Deserialize<T>(HumanInLoopJson.ArgumentOptions)
            ?? throw new JsonException($"The arguments of '{ToolName}' read as null for {typeof(T).Name}.");
        _typedArguments = value;
        return value;
    }
}
