namespace HumanInLoop.Internal;

/// <summary>
/// The quoted names of a relational store's tables: <c>"{prefix}{name}"</c>, qualified by a schema where the database has them.
/// Compiled into each store package; the prefix and schema were checked by <see cref="StoreIdentifiers"/>, so no escaping is needed.
/// </summary>
internal sealed class StoreTableNames
{
    private readonly string _qualifier;

    /// <summary>Initializes a new instance of the <see cref="StoreTableNames"/> class.</summary>
    /// <param name="prefix">The table prefix (a plain identifier part, possibly empty).</param>
    /// <param name="schema">The schema (a plain identifier), or <see langword="null"/> for a database without schemas.</param>
    public StoreTableNames(string prefix, string? schema = null)
    {
        Prefix = prefix;
        SchemaName = schema;
        Schema = schema is null ? null : $"\"{schema}\"";
        _qualifier = Schema is null ? "" : Schema + ".";
        Approvals = Table("approvals");
        AuditArchive = Table("audit_archive");
        SchemaVersions = Table("schema_version");
        CallRecords = Table("call_records");
        Grants = Table("grants");
    }

    /// <summary>Gets the table prefix, also used for index names.</summary>
    public string Prefix { get; }

    /// <summary>Gets the schema name as configured, or <see langword="null"/>.</summary>
    public string? SchemaName { get; }

    /// <summary>Gets the quoted schema name, or <see langword="null"/>.</summary>
    public string? Schema { get; }

    /// <summary>Gets the approvals table: one row per approval.</summary>
    public string Approvals { get; }

    /// <summary>Gets the archive of purged approvals' audit trails.</summary>
    public string AuditArchive { get; }

    /// <summary>Gets the table of applied schema versions.</summary>
    public string SchemaVersions { get; }

    /// <summary>Gets the call records table (<see cref="ICallRecordStore"/>): one row per call the gate judged without holding it.</summary>
    public string CallRecords { get; }

    /// <summary>Gets the standing grants table (<see cref="IGrantStore"/>): one row per grant.</summary>
    public string Grants { get; }

    /// <summary>The quoted, qualified name of the store's table <paramref name="name"/>.</summary>
    /// <param name="name">The name after the prefix.</param>
    /// <returns>The name to put into SQL.</returns>
    public string Table(string name) => $"{_qualifier}\"{Prefix}{name}\"";
}
