using Microsoft.Extensions.Options;

namespace HumanInLoop.Rules.Internal;

/// <summary>Fails the options of a registration whose first rule set was refused, with every problem and its path (<c>ValidateOnStart</c>).</summary>
internal sealed class RuleSetValidator(string name) : IValidateOptions<RuleSetSnapshot>
{
    public ValidateOptionsResult Validate(string? optionsName, RuleSetSnapshot options) =>
        optionsName != name ? ValidateOptionsResult.Skip
        : options.Current is null ? ValidateOptionsResult.Fail(options.Problems.Count > 0 ? options.Problems : ["The rules were not loaded."])
        : ValidateOptionsResult.Success;
}
