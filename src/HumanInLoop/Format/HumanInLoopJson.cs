using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>The JSON settings the library reads and writes with.</summary>
internal static class HumanInLoopJson
{
    /// <summary>Maximum nesting depth accepted when reading stored state.</summary>
    public const int MaxDepth = 64;

    /// <summary>Options for <see cref="PendingApproval"/>: Microsoft.Extensions.AI's content types, string enums, out-of-order <c>$type</c> tolerated (PostgreSQL <c>jsonb</c>).</summary>
    public static JsonSerializerOptions StateOptions { get; } = CreateStateOptions(omitMessages: false);

    /// <summary>Options for writing a stored record whose conversation the store keeps apart: <see cref="StateOptions"/> without the messages.</summary>
    public static JsonSerializerOptions RecordOptions { get; } = CreateStateOptions(omitMessages: true);

    /// <summary>
    /// Options for reading tool arguments into user types (case-insensitive names, numbers from strings). A constructor
    /// parameter without a default must be present: an argument the model left out is an error (so a policy fails closed),
    /// not a silent 0 the tool would read differently.
    /// </summary>
    public static JsonSerializerOptions ArgumentOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static JsonSerializerOptions CreateStateOptions(bool omitMessages)
    {
        IJsonTypeInfoResolver resolver = JsonTypeInfoResolver.Combine(AIJsonUtilities.DefaultOptions.TypeInfoResolver, new DefaultJsonTypeInfoResolver())
            .WithAddedModifier(static info =>
            {
                // A verdict without policy versions is written as it was before versions were recorded (no empty list).
                if (info.Type == typeof(RecordedVerdict))
                {
                    JsonPropertyInfo versions = info.Properties.Single(p => p.Name == "policyVersions");
                    versions.ShouldSerialize = static (_, value) => value is IReadOnlyList<string> { Count: > 0 };
                }
            });
        // The summary of a conversation kept apart belongs to the stored record, not to an approval written whole.
        resolver = resolver.WithAddedModifier(omitMessages ? static _ => { } : static info =>
        {
            if (info.Type == typeof(PendingApproval))
            {
                info.Properties.Single(p => p.Name == "historyApart").ShouldSerialize = static (_, _) => false;
            }
        });
        if (omitMessages)
        {
            resolver = resolver.WithAddedModifier(static info =>
            {
                if (info.Type == typeof(PendingApproval))
                {
                    info.Properties.Remove(info.Properties.Single(p => p.Name == "messages"));
                }
            });
        }

        JsonSerializerOptions options = new(AIJsonUtilities.DefaultOptions)
        {
            AllowOutOfOrderMetadataProperties = true,
            MaxDepth = MaxDepth,
            WriteIndented = false,
            TypeInfoResolver = resolver,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly();
        return options;
    }
}
