using HumanInLoop;

namespace Microsoft.Extensions.AI;

/// <summary>Attaches an <see cref="CallerContext"/> to <see cref="ChatOptions"/> so the approval gate can read it.</summary>
public static class ChatOptionsApprovalExtensions
{
    /// <summary>The key under which the context is kept in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string CallerContextKey = "HumanInLoop.CallerContext";

    /// <summary>Stores <paramref name="context"/> on <paramref name="options"/> and returns the same options.</summary>
    /// <param name="options">The options of the request.</param>
    /// <param name="context">Who and what the request is about.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithCallerContext(this ChatOptions options, CallerContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        (options.AdditionalProperties ??= [])[CallerContextKey] = context;
        return options;
    }

    /// <summary>Reads the context stored by <see cref="WithCallerContext"/>, or <see cref="CallerContext.Empty"/>.</summary>
    /// <param name="options">The options of the request, or <see langword="null"/>.</param>
    /// <returns>The stored context, or <see cref="CallerContext.Empty"/> when there is none.</returns>
    public static CallerContext GetCallerContext(this ChatOptions? options) =>
        options?.AdditionalProperties is { } properties &&
        properties.TryGetValue(CallerContextKey, out object? value) &&
        value is CallerContext context
            ? context
            : CallerContext.Empty;
}
