using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One argument bound of a grant, in the shape a decision sends it: <paramref name="Equal"/> or <paramref name="AtMost"/>.</summary>
/// <param name="Name">The argument's name.</param>
/// <param name="Equal">The value it must equal, or <see langword="null"/>.</param>
/// <param name="AtMost">The largest number it may be, or <see langword="null"/>.</param>
internal sealed record GrantArgumentBoundView(string Name, JsonElement? Equal, decimal? AtMost);
