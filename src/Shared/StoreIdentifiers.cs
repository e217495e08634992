using System.Text.RegularExpressions;

namespace HumanInLoop.Internal;

/// <summary>Checks the names a store puts into its SQL (table prefixes, schema names): letters, digits and underscores only, never user data.</summary>
internal static partial class StoreIdentifiers
{
    /// <summary>Whether <paramref name="name"/> is a plain SQL identifier part that needs no escaping.</summary>
    public static bool IsPlain(string? name, bool allowEmpty, int maxLength) =>
        name is not null && name.Length <= maxLength && (name.Length == 0 ? allowEmpty : Plain().IsMatch(name));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Plain();
}
