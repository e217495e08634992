using Microsoft.Extensions.Configuration;

namespace HumanInLoop.Internal;

/// <summary>
/// The settings of <see cref="ApprovalOptions"/> that are data, as they are bound from configuration (appsettings.json,
/// environment variables, a secret store). Only the keys present change the options, so code and configuration compose.
/// </summary>
/// <remarks>Bound by the configuration binder's source generator (no reflection, trimming-safe).</remarks>
internal sealed class ApprovalSettings
{
    private const string Keys =
        "DefaultExpiration, ExecutionLease, RejectedRepeatLimit, PreventSelfApproval, RequireProtectedTools, RecordCalls, Granters, IdempotentTools, IntegrityKey, PolicyVersion";

    public TimeSpan? DefaultExpiration { get; set; }

    public TimeSpan? ExecutionLease { get; set; }

    public int? RejectedRepeatLimit { get; set; }

    public bool? PreventSelfApproval { get; set; }

    public bool? RequireProtectedTools { get; set; }

    public bool? RecordCalls { get; set; }

    public List<string> Granters { get; } = [];

    public List<string> IdempotentTools { get; } = [];

    public string? IntegrityKey { get; set; }

    public string? PolicyVersion { get; set; }

    /// <summary>Binds <paramref name="configuration"/> onto <paramref name="options"/>; a key or value that cannot be bound throws, naming it.</summary>
    public static void Bind(IConfiguration configuration, ApprovalOptions options)
    {
        ApprovalSettings settings = new();
        try
        {
            configuration.Bind(settings, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException(
                $"The HumanInLoop configuration{Where(configuration)} cannot be bound: {exception.Message}{(exception.InnerException is { } inner ? " " + inner.Message : string.Empty)} The settings are: {Keys}.", exception);
        }

        settings.ApplyTo(options, configuration);
    }

    private void ApplyTo(ApprovalOptions options, IConfiguration configuration)
    {
        options.DefaultExpiration = DefaultExpiration ?? options.DefaultExpiration;
        options.ExecutionLease = ExecutionLease ?? options.ExecutionLease;
        options.RejectedRepeatLimit = RejectedRepeatLimit ?? options.RejectedRepeatLimit;
        options.PreventSelfApproval = PreventSelfApproval ?? options.PreventSelfApproval;
        options.RequireProtectedTools = RequireProtectedTools ?? options.RequireProtectedTools;
        options.RecordCalls = RecordCalls ?? options.RecordCalls;
        options.PolicyVersion = PolicyVersion ?? options.PolicyVersion;
        options.Granters.UnionWith(Granters);
        options.IdempotentTools.UnionWith(IdempotentTools);
        if (IntegrityKey is { } key)
        {
            try
            {
                options.IntegrityKey = Convert.FromBase64String(key.Trim());
            }
            catch (FormatException exception)
            {
                // The value is a secret: the message names the setting, never the value.
                throw new InvalidOperationException($"The HumanInLoop configuration{Where(configuration)} has an IntegrityKey that is not base64 text.", exception);
            }
        }
    }

    private static string Where(IConfiguration configuration) => configuration is IConfigurationSection section ? $" at '{section.Path}'" : string.Empty;
}
