using HumanInLoop;

namespace Microsoft.Extensions.AI;

/// <summary>Attaches an <see cref="ApprovalContext"/> to <see cref="ChatOptions"/> so the approval gate can read it.</summary>
public static class ChatOptionsApprovalExtensions
{
    /// <summary>The key under which the context is kept in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string ApprovalContextKey = "HumanInLoop.ApprovalContext";

    /// <summary>Stores <paramref name="context"/> on <paramref name="options"/> and returns the same options.</summary>
    /// <param name="options">The options of the request.</param>
    /// <param name="context">Who and what the request is about.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static ChatOptions WithApprovalContext(this ChatOptions options, ApprovalContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        (options.AdditionalProperties ??= [])[ApprovalContextKey] = context;
        return options;
    }

    /// <summary>Reads the context stored by <see cref="WithApprovalContext"/>, or <see cref="ApprovalContext.Empty"/>.</summary>
    /// <param name="options">The options of the request, or <see langword="null"/>.</param>
    /// <returns>The stored context, or <see cref="ApprovalContext.Empty"/> when there is none.</returns>
    public static ApprovalContext GetApprovalContext(this ChatOptions? options) =>
        options?.AdditionalProperties is { } properties &&
        properties.TryGetValue(ApprovalContextKey, out object? value) &&
        value is ApprovalContext context
            ? context
            : ApprovalContext.Empty;
}
