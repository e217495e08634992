namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The console's settings, fixed when it is mapped: the endpoint rules it shares (anti-forgery always on), read-only mode, title.</summary>
internal sealed record ConsoleSettings(ApprovalEndpointOptions Endpoints, bool ReadOnly, string Title)
{
    /// <summary>Gets the candidate policy sets of the replay view, by name (a copy made when the console is mapped).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IApprovalPolicy>> ReplayCandidates { get; init; } = new Dictionary<string, IReadOnlyList<IApprovalPolicy>>();
}
