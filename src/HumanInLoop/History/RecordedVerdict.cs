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
    /// <param name="policyVersions">The versions of the rules in force (<see cref="PolicyVersions"/>); <see langword="null"/> for none.</param>
    [JsonConstructor]
    public RecordedVerdict(PolicyVerdictKind kind, string? reason, IReadOnlyList<string>? policies = null, string? error = null, IReadOnlyList<string>? policyVersions = null)
    {
        Kind = kind;
        Reason = reason;
        Policies = policies ?? [];
        Error = error;
        PolicyVersions = policyVersions ?? [];
    }

    /// <summary>Gets what the policies decided. A shadow or replayed policy set that threw counts as <see cref="PolicyVerdictKind.RequireApproval"/> (fail closed; <see cref="Error"/> says why). Live, a throwing active policy stops the request instead, and nothing runs.</summary>
    public PolicyVerdictKind Kind { get; }

    /// <summary>Gets why, as the policies said it.</summary>
    public string? Reason { get; }

    /// <summary>
    /// Gets the names of the policies that decided it: those that denied, else those that required approval, else those that allowed;
    /// <c>unmatched</c> when no policy applied. A policy whose verdict names its rule (<see cref="PolicyVerdict.Rule"/>) is named <c>policy/rule</c>.
    /// </summary>
    public IReadOnlyList<string> Policies { get; }

    /// <summary>Gets the error when a policy threw, or <see langword="null"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; }

    /// <summary>
    /// Gets the versions of the rules in force when the call was judged: <see cref="ApprovalOptions.PolicyVersion"/> first when the
    /// host set one, then every version a policy's verdict named (<see cref="PolicyVerdict.Version"/>), including policies that did
    /// not apply, each once, in the order the policies were asked. Empty when none was named (and in records written before versions were recorded).
    /// </summary>
    /// <remarks>The library's stored records leave it out when it is empty, so records without a version keep the shape they always had.</remarks>
    public IReadOnlyList<string> PolicyVersions { get; }
}
