using System.Collections;

namespace HumanInLoop.Internal;

/// <summary>
/// The names in <see cref="StateEntry.Approvers"/>: distinct, in ordinal order, compared by content, so that two entries that
/// name the same approvers are equal whichever order they were given in and whichever store they came back from.
/// </summary>
internal sealed class ApproverNames : IReadOnlyList<string>, IEquatable<ApproverNames>
{
    private readonly string[] _names;

    private ApproverNames(string[] names) => _names = names;

    /// <inheritdoc />
    public int Count => _names.Length;

    /// <inheritdoc />
    public string this[int index] => _names[index];

    /// <summary>The names of <paramref name="names"/>, distinct and in ordinal order.</summary>
    /// <exception cref="ArgumentException">A name is <see langword="null"/> or not valid text.</exception>
    public static ApproverNames From(IEnumerable<string> names)
    {
        SortedSet<string> set = new(StringComparer.Ordinal);
        foreach (string name in names)
        {
            set.Add(name is null
                ? throw new ArgumentException("An approver name must not be null.", nameof(names))
                : StateEntry.WellFormed(name, nameof(StateEntry.Approvers)));
        }

        return new ApproverNames([.. set]);
    }

    /// <summary>
    /// Who may decide <paramref name="approval"/> now: the ids and roles its calls awaiting a decision name, with
    /// <see cref="StateEntry.AnyApprover"/> for a call that names nobody (anyone may decide it); <see langword="null"/> when it is
    /// not pending or nobody may decide any of its calls.
    /// </summary>
    public static ApproverNames? Of(PendingApproval approval)
    {
        if (approval.Status != ApprovalStatus.Pending)
        {
            return null;
        }

        List<string> names = [];
        foreach (PendingToolCall call in approval.Calls)
        {
            if (call.Decision == CallDecisionStatus.AwaitingApproval)
            {
                if (call.Approvers.Count == 0)
                {
                    names.Add(StateEntry.AnyApprover);
                }
                else
                {
                    // Contradictory policies name no common approver: nobody may decide that call, so it lists for nobody.
                    names.AddRange(call.Approvers.Where(a => a != PolicyEvaluator.NoCommonApprover));
                }
            }
        }

        return names.Count == 0 ? null : From(names);
    }

    /// <inheritdoc />
    public bool Equals(ApproverNames? other) => other is not null && _names.AsSpan().SequenceEqual(other._names);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ApproverNames);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        HashCode hash = default;
        foreach (string name in _names)
        {
            hash.Add(name, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_names).GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => _names.GetEnumerator();
}
