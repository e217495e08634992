using System.CommandLine;

namespace HumanInLoop.Cli;

/// <summary>What a command's body works with: its parsed arguments, where to write, and the service over the chosen store.</summary>
internal sealed record CommandContext(ParseResult Parse, CliOutput Output, ApprovalService Approvals, CancellationToken Cancellation)
{
    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;
}
