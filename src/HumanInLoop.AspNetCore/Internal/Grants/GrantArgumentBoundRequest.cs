using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One argument bound of a grant: exactly one of <see cref="Equal"/> and <see cref="AtMost"/>.</summary>
internal sealed class GrantArgumentBoundRequest
{
    /// <summary>Gets or sets the top-level argument's name.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the value the argument must equal (any JSON value but <c>null</c>).</summary>
    public JsonElement? Equal { get; set; }

    /// <summary>Gets or sets the largest number the argument may be (inclusive).</summary>
    public decimal? AtMost { get; set; }
}
