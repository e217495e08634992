using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace HumanInLoop.Rules.Internal;

/// <summary>Tells the options monitor when the configuration under a registration's rules changes, so that the next call reads the new set.</summary>
internal sealed class RuleSetChangeTokenSource(string name, IConfiguration section) : IOptionsChangeTokenSource<RuleSetSnapshot>
{
    public string? Name { get; } = name;

    public IChangeToken GetChangeToken() => section.GetReloadToken();
}
