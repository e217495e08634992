using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ApprovalWorkflow;

/// <summary>Where a workflow is, as the worker sees it.</summary>
internal static class WorkflowStatus
{
    public const string Running = "Running";
    public const string WaitingForApproval = "WaitingForApproval";
    public const string Paid = "Paid";
    public const string NotPaid = "NotPaid";
    public const string Expired = "Expired";
    public const string Failed = "Failed";
}

/// <summary>One workflow: an invoice, where it is, and the approval it waits for.</summary>
internal sealed record WorkflowRecord(string Id, string InvoiceId, string Vendor, decimal Amount, string Status, string? ApprovalId, string? Outcome);

/// <summary>One payment made by the <c>pay_invoice</c> tool.</summary>
internal sealed record PaymentRecord(string InvoiceId, decimal Amount, string Payee, string IdempotencyKey);

/// <summary>
/// The sample's own tables, in the same SQLite file as the approvals: workflow id → approval id (so a resume by workflow id
/// works after a restart), and the payments ledger, whose primary key on the invoice makes paying exactly-once downstream.
/// </summary>
internal sealed class WorkflowDatabase
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly Lazy<Task> _tables;

    public WorkflowDatabase(string connectionString, TimeProvider time)
    {
        _connectionString = connectionString;
        _time = time;
        _tables = new(CreateTablesAsync);
    }

    public async Task<bool> TryCreateAsync(Invoice invoice)
    {
        return await ExecuteAsync(
            "INSERT INTO wf_workflows (id, invoice_id, vendor, amount, status, updated_at) VALUES (@id, @invoice, @vendor, @amount, @status, @now) ON CONFLICT (id) DO NOTHING",
            ("@id", invoice.WorkflowId), ("@invoice", invoice.Id), ("@vendor", invoice.Vendor),
            ("@amount", invoice.Amount.ToString(CultureInfo.InvariantCulture)), ("@status", WorkflowStatus.Running)) == 1;
    }

    public Task SetWaitingAsync(string workflowId, string approvalId) =>
        ExecuteAsync("UPDATE wf_workflows SET status = @status, approval_id = @approval, updated_at = @now WHERE id = @id",
            ("@id", workflowId), ("@status", WorkflowStatus.WaitingForApproval), ("@approval", approvalId));

    public Task SetFinishedAsync(string workflowId, string status, string? outcome) =>
        ExecuteAsync("UPDATE wf_workflows SET status = @status, outcome = @outcome, updated_at = @now WHERE id = @id",
            ("@id", workflowId), ("@status", status), ("@outcome", outcome));

    /// <summary>
    /// Takes over a workflow left <c>Running</c> and untouched since <paramref name="untouchedSince"/>, by one compare-and-swap
    /// on its time: of several hosts trying at once, exactly one gets <see langword="true"/> (and the workflow is then fresh
    /// again, so nobody else takes it while this host continues it).
    /// </summary>
    public async Task<bool> TryTakeOverAsync(string workflowId, DateTimeOffset untouchedSince) =>
        await ExecuteAsync("UPDATE wf_workflows SET updated_at = @now WHERE id = @id AND status = @status AND updated_at <= @since",
            ("@id", workflowId), ("@status", WorkflowStatus.Running), ("@since", untouchedSince.ToUnixTimeMilliseconds())) == 1;

    /// <summary>
    /// Marks a workflow this host is running as alive (its heartbeat), so that no other host takes it over as interrupted while
    /// a model call or a tool runs longer than <see cref="WorkflowSettings.InterruptedAfter"/>. Returns whether it was still running.
    /// </summary>
    public async Task<bool> TouchAsync(string workflowId) =>
        await ExecuteAsync("UPDATE wf_workflows SET updated_at = @now WHERE id = @id AND status = @status",
            ("@id", workflowId), ("@status", WorkflowStatus.Running)) == 1;

    public async Task<WorkflowRecord?> GetAsync(string workflowId) =>
        (await QueryAsync("SELECT id, invoice_id, vendor, amount, status, approval_id, outcome FROM wf_workflows WHERE id = @id", ReadWorkflow, ("@id", workflowId))).FirstOrDefault();

    public async Task<WorkflowRecord?> FindByApprovalAsync(string approvalId) =>
        (await QueryAsync("SELECT id, invoice_id, vendor, amount, status, approval_id, outcome FROM wf_workflows WHERE approval_id = @approval", ReadWorkflow, ("@approval", approvalId))).FirstOrDefault();

    public Task<List<WorkflowRecord>> ListAsync(string? status = null) => status is null
        ? QueryAsync("SELECT id, invoice_id, vendor, amount, status, approval_id, outcome FROM wf_workflows ORDER BY id", ReadWorkflow)
        : QueryAsync("SELECT id, invoice_id, vendor, amount, status, approval_id, outcome FROM wf_workflows WHERE status = @status ORDER BY id", ReadWorkflow, ("@status", status));

    /// <summary>Records a payment once per invoice; a second attempt (same or other key) changes nothing and says so.</summary>
    public async Task<bool> TryPayAsync(string invoiceId, decimal amount, string payee, string idempotencyKey) =>
        await ExecuteAsync(
            "INSERT INTO wf_payments (invoice_id, amount, payee, idempotency_key, paid_at) VALUES (@invoice, @amount, @payee, @key, @now) ON CONFLICT (invoice_id) DO NOTHING",
            ("@invoice", invoiceId), ("@amount", amount.ToString(CultureInfo.InvariantCulture)), ("@payee", payee), ("@key", idempotencyKey)) == 1;

    public Task<List<PaymentRecord>> ListPaymentsAsync() =>
        QueryAsync("SELECT invoice_id, amount, payee, idempotency_key FROM wf_payments ORDER BY invoice_id",
            r => new PaymentRecord(r.GetString(0), decimal.Parse(r.GetString(1), CultureInfo.InvariantCulture), r.GetString(2), r.GetString(3)));

    private static WorkflowRecord ReadWorkflow(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), decimal.Parse(r.GetString(3), CultureInfo.InvariantCulture), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6));

    private async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        await using SqliteConnection connection = await OpenAsync();
        await using SqliteCommand command = Command(connection, sql, parameters);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        List<T> rows = [];
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        await _tables.Value;
        return await OpenRawAsync();
    }

    private async Task CreateTablesAsync()
    {
        await using SqliteConnection connection = await OpenRawAsync();
        await using SqliteCommand create = connection.CreateCommand();
        create.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS wf_workflows (id TEXT NOT NULL PRIMARY KEY, invoice_id TEXT NOT NULL, vendor TEXT NOT NULL, amount TEXT NOT NULL,
                status TEXT NOT NULL, approval_id TEXT NULL, outcome TEXT NULL, updated_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS wf_workflows_approval ON wf_workflows (approval_id);
            CREATE TABLE IF NOT EXISTS wf_payments (invoice_id TEXT NOT NULL PRIMARY KEY, amount TEXT NOT NULL, payee TEXT NOT NULL,
                idempotency_key TEXT NOT NULL, paid_at INTEGER NOT NULL);
            """;
        await create.ExecuteNonQueryAsync();
    }

    private async Task<SqliteConnection> OpenRawAsync()
    {
        SqliteConnection connection = new(_connectionString);
        await connection.OpenAsync();
        await using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000";
        await pragma.ExecuteNonQueryAsync();
        return connection;
    }
}
