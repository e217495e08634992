namespace HumanInLoop.Cli;

/// <summary>The exit codes scripts can rely on; the same table is in README.md and in <c>humaninloop --help</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Done; for <c>verify</c> and <c>export</c>, every audit chain read holds.</summary>
    public const int Ok = 0;

    /// <summary>The command line is wrong: an unknown command or option, a required value missing, or no store given.</summary>
    public const int Usage = 1;

    /// <summary>No such approval, call or grant.</summary>
    public const int NotFound = 2;

    /// <summary>Refused: the approver may not decide or revoke, the call was already decided, or the approval has expired.</summary>
    public const int Refused = 3;

    /// <summary>An audit chain or record seal does not hold (found by <c>verify</c> or <c>export</c>, or met while reading one approval).</summary>
    public const int Integrity = 4;

    /// <summary>The store cannot be opened or read (no such SQLite file, the database refused, a schema problem).</summary>
    public const int Store = 5;

    /// <summary>The policies for <c>replay</c> cannot be loaded (no such file, not an assembly, no or several policy sources, a source that throws).</summary>
    public const int Policies = 6;

    /// <summary>Something unexpected failed; the message says what (please report it).</summary>
    public const int Unexpected = 70;

    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>The table printed at the end of the root command's description (and so in <c>--help</c>).</summary>
    public const string HelpTable = """
        Exit codes:
          0    ok (verify/export: every audit chain holds)
          1    usage: unknown command or option, missing value, no store given
          2    not found: no such approval, call or grant
          3    refused: forbidden, already decided (conflict), or expired
          4    integrity: an audit chain or seal does not hold
          5    store error: the database cannot be opened or read
          6    replay policies cannot be loaded
          70   unexpected error
          130  cancelled
        """;
}
