using System.Globalization;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Internal;

/// <summary>
/// Checks an <see cref="ApprovalOptions"/> as a whole and names each bad setting. Registered by <c>AddHumanInLoop</c> with
/// <c>ValidateOnStart</c>, so a host with a bad setting fails when it starts; <see cref="ApprovalService"/> runs the same checks
/// when it is built, so options made in code are held to the same rules.
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
internal sealed class ApprovalOptionsValidator : IValidateOptions<ApprovalOptions>
{
    /// <summary>The shortest integrity key accepted, in bytes (an HMAC-SHA256 key of less than the hash's size weakens it).</summary>
    public const int MinimumIntegrityKeyLength = 32;

    /// <summary>The longest <see cref="ApprovalOptions.PolicyVersion"/> accepted, in characters.</summary>
    public const int MaximumPolicyVersionLength = 200;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ApprovalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming every bad setting of <paramref name="options"/>.</summary>
    /// <param name="options">The options to check.</param>
    /// <param name="paramName">The name of the parameter that carried them.</param>
    public static void ThrowIfInvalid(ApprovalOptions options, string paramName)
    {
        List<string> failures = Check(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), paramName);
        }
    }

    private static List<string> Check(ApprovalOptions options)
    {
        List<string> failures = [];
        if (options.DefaultExpiration <= TimeSpan.Zero)
        {
            failures.Add(Invalid(nameof(ApprovalOptions.DefaultExpiration), "must be greater than zero (every approval expires)", options.DefaultExpiration));
        }

        if (options.ExecutionLease <= TimeSpan.Zero)
        {
            failures.Add(Invalid(nameof(ApprovalOptions.ExecutionLease), "must be greater than zero", options.ExecutionLease));
        }

        if (options.RejectedRepeatLimit < 0)
        {
            failures.Add(Invalid(nameof(ApprovalOptions.RejectedRepeatLimit), "must not be negative (0 turns the retry-loop guard off)", options.RejectedRepeatLimit));
        }

        if (options.IntegrityKey.Length is > 0 and < MinimumIntegrityKeyLength)
        {
            failures.Add(Invalid(nameof(ApprovalOptions.IntegrityKey), $"must be empty or at least {MinimumIntegrityKeyLength} bytes long", $"{options.IntegrityKey.Length} bytes"));
        }

        if (options.PolicyVersion is { } version &&
            (string.IsNullOrWhiteSpace(version) || version.Length > MaximumPolicyVersionLength || version.Any(char.IsControl)))
        {
            failures.Add($"ApprovalOptions.{nameof(ApprovalOptions.PolicyVersion)} must be null, or up to {MaximumPolicyVersionLength} characters, not blank and without control characters.");
        }

        if (options.TimeProvider is null)
        {
            failures.Add($"ApprovalOptions.{nameof(ApprovalOptions.TimeProvider)} must not be null.");
        }

        CheckNames(options.Granters, nameof(ApprovalOptions.Granters), failures);
        CheckNames(options.IdempotentTools, nameof(ApprovalOptions.IdempotentTools), failures);
        CheckEntries(options.Policies, nameof(ApprovalOptions.Policies), failures);
        CheckEntries(options.ShadowPolicies, nameof(ApprovalOptions.ShadowPolicies), failures);
        CheckEntries(options.Notifiers, nameof(ApprovalOptions.Notifiers), failures);
        return failures;
    }

    private static void CheckNames(IEnumerable<string> names, string setting, List<string> failures)
    {
        if (names.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add($"ApprovalOptions.{setting} must not contain an empty or blank name.");
        }
    }

    private static void CheckEntries<T>(IEnumerable<T> entries, string setting, List<string> failures)
        where T : class
    {
        if (entries.Any(entry => entry is null))
        {
            failures.Add($"ApprovalOptions.{setting} must not contain null.");
        }
    }

    private static string Invalid(string setting, string rule, object value) =>
        string.Create(CultureInfo.InvariantCulture, $"ApprovalOptions.{setting} {rule}; it is {value}.");
}
