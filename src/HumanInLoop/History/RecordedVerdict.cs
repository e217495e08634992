using System.Text.Json.Serialization;

namespace HumanInLoop;

/// <summary>A verdict as recorded: what a policy set said about a call, which policies said it, and why.</summary>
public sealed record RecordedVerdict
{
    /// <summary>Initializes a new instance of the <see cref="RecordedVerdict"/> class.</summary>
    /// <param name="kind">What the policies decided.</param>
    /// <param name="reason">Why, as the policies said it.</param>
    /// <param name="policies">The names (<see cref="IApprovalPolicy.Name"/>) of the policies that decided it.</param>
    /// <param name="error">Why the policies could not decide, when one of them threw.</param>
    [JsonConstructor]
    public RecordedVerdict(PolicyVerdictKind kind, string? reason, IReadOnlyList<string>? policies = null, string? error = null)
    {
        Kind = kind;
        Reason = reason;
        Policies = policies ?? [];
        Error = error;
    }

    /// <summary>Gets what the policies decided. A shadow or replayed policy set that threw counts as <see cref="PolicyVerdictKind.RequireApproval"/> (fail closed; <see cref="Error"/> says why). Live, a throwing active policy stops the request instead, and nothing runs.</summary>
    public PolicyVerdictKind Kind { get; }

    /// <summary>Gets why, as the policies said it.</summary>
    public string? Reason { get; }

    /// <summary>Gets the names of the policies that decided it: those that denied, else those that required approval, else those that allowed; <c>unmatched</c> when no policy applied.</summary>
    public IReadOnlyList<string> Policies { get; }

    /// <summary>Gets the error when a policy threw, or <see langword="null"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; }
}
