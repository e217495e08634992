using HumanInLoop;
using HumanInLoop.Rules;
using HumanInLoop.Rules.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers approval rules from configuration as a policy of HumanInLoop.</summary>
public static class HumanInLoopRulesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the approval rules under <paramref name="configuration"/> (for example <c>builder.Configuration.GetSection("HumanInLoopRules")</c>, a section of its own: the section given to <c>AddHumanInLoop</c> refuses keys it does not know)
    /// as an <see cref="IApprovalPolicy"/> that <c>AddHumanInLoop</c> picks up with the policies in code: the same precedence (Deny over
    /// RequireApproval over Allow), and a call no rule covers is left to the other policies and the unmatched default.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The rules are checked when the host starts (<c>ValidateOnStart</c>): a key that is not known, a verdict that is not one, a tool that
    /// is not among <paramref name="tools"/>, a condition that does not parse or type-check against the tool's JSON schema, or a hash that
    /// does not match <c>Pin</c> stops the start with an <see cref="OptionsValidationException"/> naming each problem's configuration path
    /// (such as <c>HumanInLoopRules:Rules:big-transfers:When</c>).
    /// </para>
    /// <para>
    /// When the configuration changes (a JSON file with <c>reloadOnChange</c>, or any provider that signals a reload), the next call is
    /// judged by the new set; each call reads the set in force once. A changed set that is refused leaves the last valid one in force; the
    /// refusal is logged (an error) and counted (<c>humaninloop.rules.reloads.refused</c>). The format: docs/policies.md, "Rules in configuration".
    /// </para>
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section with <c>Rules</c> (and optionally <c>Label</c> and <c>Pin</c>).</param>
    /// <param name="tools">
    /// The tools the rules may name: the same <see cref="AIFunction"/> instances the agent is given (or declarations with their schemas). Their JSON schemas
    /// (<c>JsonSchema</c>) give the argument names and types each condition is checked against when the rules load.
    /// </param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoopRules(this IServiceCollection services, IConfiguration configuration, IEnumerable<AIFunctionDeclaration> tools)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(tools);
        RuleSetLoader loader = new(configuration, [.. tools]);
        string name = $"HumanInLoop.Rules:{loader.Prefix}{Guid.NewGuid():N}";
        services.AddOptions<RuleSetSnapshot>(name)
            .Configure<IServiceProvider>((snapshot, provider) => loader.Load(snapshot, provider))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RuleSetSnapshot>>(new RuleSetValidator(name));
        services.AddSingleton<IOptionsChangeTokenSource<RuleSetSnapshot>>(new RuleSetChangeTokenSource(name, configuration));
        services.AddSingleton<IApprovalPolicy>(provider => new ConfiguredRules(provider.GetRequiredService<IOptionsMonitor<RuleSetSnapshot>>(), name));
        return services;
    }
}
