using HumanInLoop;
using HumanInLoop.Rules;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BankingConsole;

/// <summary>
/// The bank's approval rules as data: those in force, from the <c>HumanInLoopRules</c> section of appsettings.json (read again
/// whenever the file changes, so a raised limit takes effect on the next call without a restart), and the looser candidate,
/// from candidate-rules.json. Both are checked against the tools' schemas when they load; a bad rule stops the console at start,
/// naming its path. Every verdict names the version (label and content hash) of the rules that gave it.
/// </summary>
internal sealed class BankRules : IDisposable
{
    private readonly ServiceProvider _services;

    private BankRules(ServiceProvider services, IApprovalPolicy inForce, ApprovalRuleSet candidate)
    {
        _services = services;
        InForce = inForce;
        Candidate = candidate;
    }

    /// <summary>Gets the rules in force, as one policy that always judges by the latest valid version of the file.</summary>
    public IApprovalPolicy InForce { get; }

    /// <summary>Gets the looser candidate (transfers up to $1,000 run at once), replayed and watched in shadow.</summary>
    public ApprovalRuleSet Candidate { get; }

    /// <summary>Loads both rule sets from the files beside the program.</summary>
    /// <exception cref="OptionsValidationException">A rule in appsettings.json is not valid; the message names its path.</exception>
    /// <exception cref="ApprovalRulesException">A rule in candidate-rules.json is not valid.</exception>
    public static BankRules Load(IEnumerable<AIFunctionDeclaration> tools)
    {
        AIFunctionDeclaration[] declared = [.. tools];
        IConfiguration configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: false, reloadOnChange: true)
            .Build();

        // The console has no host; the same registration a host uses, checked as a host's start checks it.
        ServiceProvider services = new ServiceCollection()
            .AddHumanInLoopRules(configuration.GetSection("HumanInLoopRules"), declared)
            .BuildServiceProvider();
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            ApprovalRuleSet candidate = ApprovalRuleSet.FromFile(Path.Combine(AppContext.BaseDirectory, "candidate-rules.json"), declared);
            return new BankRules(services, services.GetRequiredService<IApprovalPolicy>(), candidate);
        }
        catch
        {
            services.Dispose();
            throw;
        }
    }

    /// <summary>Stops watching appsettings.json.</summary>
    public void Dispose() => _services.Dispose();
}
