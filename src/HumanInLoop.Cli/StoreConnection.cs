using System.CommandLine;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Cli;

/// <summary>The options every command takes to reach the store (recursive on the root command), and opening it.</summary>
internal sealed class StoreConnection
{
    public const string PostgresVariable = "HUMANINLOOP_POSTGRES";

    public Option<string?> Sqlite { get; } = new("--sqlite")
    {
        Description = "The SQLite file the application's SqliteStateStore uses (must exist).",
        HelpName = "PATH",
        Recursive = true,
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = $"A PostgreSQL connection string; default: the environment variable {PostgresVariable}.",
        HelpName = "CONNSTR",
        Recursive = true,
    };

    public Option<string?> Schema { get; } = new("--schema")
    {
        Description = "The PostgreSQL schema of the tables (default: public).",
        Recursive = true,
    };

    public Option<string?> TablePrefix { get; } = new("--table-prefix")
    {
        Description = "The prefix of the store's table names (default: hil_).",
        Recursive = true,
    };

    public Option<string?> IntegrityKeyVariable { get; } = new("--integrity-key-env")
    {
        Description = "The name of an environment variable holding ApprovalOptions.IntegrityKey in base64 (required when the application sets one).",
        HelpName = "NAME",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write machine-readable JSON (no colours, no progress bar); errors go to standard error as JSON.",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Sqlite, Postgres, Schema, TablePrefix, IntegrityKeyVariable, Json];

    /// <summary>Opens the store the options name and an <see cref="ApprovalService"/> over it.</summary>
    /// <exception cref="CliException">No store, two stores, no such SQLite file, or a missing or malformed integrity key.</exception>
    public ApprovalService Open(ParseResult parse, Func<string, string?> environment, ApprovalOptions options)
    {
        string? sqlite = parse.GetValue(Sqlite);
        string? postgres = parse.GetValue(Postgres);
        if (sqlite is not null && postgres is not null)
        {
            throw CliException.Usage("Give either --sqlite or --postgres, not both.");
        }

        if (sqlite is null && postgres is null)
        {
            postgres = environment(PostgresVariable) is { Length: > 0 } fromEnvironment
                ? fromEnvironment
                : throw CliException.Usage($"No store: give --sqlite PATH or --postgres CONNSTR (or set {PostgresVariable}).");
        }

        options.IntegrityKey = ReadIntegrityKey(parse, environment);
        options.RecordCalls = false; // the command line gates nothing; it only reads and decides
        string prefix = parse.GetValue(TablePrefix) ?? "hil_";
        IStateStore store = sqlite is not null ? OpenSqlite(sqlite, prefix) : OpenPostgres(postgres!, parse.GetValue(Schema) ?? "public", prefix);
        return new ApprovalService(store, options);
    }

    private static SqliteStateStore OpenSqlite(string path, string prefix)
    {
        if (!File.Exists(path))
        {
            throw CliException.Store($"No SQLite file at '{Path.GetFullPath(path)}'.");
        }

        // ReadWrite, never Create: a mistyped path must not leave an empty database behind.
        SqliteConnectionStringBuilder connection = new() { DataSource = path, Mode = SqliteOpenMode.ReadWrite };
        return new SqliteStateStore(new SqliteStateStoreOptions { ConnectionString = connection.ToString(), TablePrefix = prefix });
    }

    private static PostgreSqlStateStore OpenPostgres(string connectionString, string schema, string prefix)
    {
        try
        {
            return new PostgreSqlStateStore(new PostgreSqlStateStoreOptions { ConnectionString = connectionString, Schema = schema, TablePrefix = prefix });
        }
        catch (ArgumentException exception)
        {
            throw CliException.Usage($"The PostgreSQL connection string or schema is not valid: {exception.Message}");
        }
    }

    private ReadOnlyMemory<byte> ReadIntegrityKey(ParseResult parse, Func<string, string?> environment)
    {
        if (parse.GetValue(IntegrityKeyVariable) is not { } name)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        string value = environment(name) is { Length: > 0 } set ? set : throw CliException.Usage($"The environment variable '{name}' (--integrity-key-env) is not set.");
        try
        {
            return Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw CliException.Usage($"The environment variable '{name}' does not hold base64.");
        }
    }
}
