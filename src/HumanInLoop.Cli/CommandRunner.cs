using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;

namespace HumanInLoop.Cli;

/// <summary>Runs a command's body over the store and turns every failure into its documented exit code and a one-line message.</summary>
internal sealed class CommandRunner(StoreConnection store, CliSettings settings)
{
    public StoreConnection Store => store;

    /// <summary>Sets the command's action: open the store, run the body, map what it throws.</summary>
    /// <param name="command">The command.</param>
    /// <param name="body">The work; returns the exit code.</param>
    /// <param name="configure">Sets service options the command takes from its own options (rules the application keeps outside the record).</param>
    public void Handle(Command command, Func<CommandContext, Task<int>> body, Action<ParseResult, ApprovalOptions>? configure = null) =>
        command.SetAction(async (parse, cancellation) =>
        {
            CliOutput output = new(settings.Output, settings.Error, parse.GetValue(store.Json), settings.Terminal);
            try
            {
                ApprovalOptions options = new();
                configure?.Invoke(parse, options);
                ApprovalService approvals;
                try
                {
                    approvals = store.Open(parse, settings.Environment, options);
                }
                catch (ArgumentException exception)
                {
                    throw CliException.Usage(exception.Message);
                }

                try
                {
                    return await body(new CommandContext(parse, output, approvals, cancellation));
                }
                finally
                {
                    if (approvals.Store is IAsyncDisposable disposable)
                    {
                        await disposable.DisposeAsync();
                    }
                }
            }
            catch (Exception exception)
            {
                (int code, string kind) = Classify(exception);
                return output.Fail(code, kind, exception.Message);
            }
        });

    private static (int Code, string Kind) Classify(Exception exception) => exception switch
    {
        CliException cli => (cli.ExitCode, cli.Kind),
        ApprovalNotFoundException or GrantNotFoundException => (ExitCodes.NotFound, "not-found"),
        ApprovalForbiddenException => (ExitCodes.Refused, "forbidden"),
        ApprovalConflictException => (ExitCodes.Refused, "conflict"),
        ApprovalExpiredException => (ExitCodes.Refused, "expired"),
        ApprovalIntegrityException or ApprovalStateFormatException => (ExitCodes.Integrity, "integrity"),
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
        DbException or SocketException or TimeoutException or IOException or UnauthorizedAccessException => (ExitCodes.Store, "store"),
        InvalidOperationException when exception.InnerException is DbException || IsFromStore(exception) => (ExitCodes.Store, "store"),
        _ => (ExitCodes.Unexpected, "unexpected"),
    };

    // A store refuses to open (a newer schema, tables it cannot create) with InvalidOperationException.
    private static bool IsFromStore(Exception exception) =>
        exception.TargetSite?.Module.Assembly is { } thrower &&
        (thrower == typeof(Sqlite.SqliteStateStore).Assembly || thrower == typeof(PostgreSql.PostgreSqlStateStore).Assembly);
}
