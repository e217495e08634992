using Microsoft.Data.Sqlite;

namespace BankingConsole;

/// <summary>
/// A very small bank in one SQLite file: accounts with balances, and a ledger of every deposit and transfer.
/// </summary>
/// <remarks>
/// <para>
/// Each movement of money is one SQLite transaction that checks the accounts and the funds, changes the balances and
/// appends a ledger entry. When the caller passes an idempotency key (HumanInLoop's <c>ApprovedCall.Current.IdempotencyKey</c>
/// for an approved call), the entry records it under a unique index in that same transaction, so a call that is run again
/// with the same key (after a crash, or a second resume) finds its entry and moves nothing twice.
/// </para>
/// <para>Thread-safe and safe across processes: every operation uses its own connection and an immediate (write-locking) transaction.</para>
/// </remarks>
internal sealed class Bank
{
    /// <summary>The account of the customer the assistant works for: deposits go to it and transfers come from it.</summary>
    public const string CustomerAccount = "carol";

    private static readonly AccountBalance[] s_openingBalances =
    [
        new(CustomerAccount, 100_000),
        new("alice", 25_000),
        new("bob", 25_000),
    ];

    private readonly string _connectionString;

    private Bank(string connectionString)
    {
        _connectionString = connectionString;
    }

    /// <summary>Opens the bank in <paramref name="path"/>, creating the file and the opening balances on first use.</summary>
    public static async Task<Bank> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        string connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30, Pooling = true }.ToString();
        Bank bank = new(connectionString);
        await using SqliteConnection connection = await bank.OpenConnectionAsync(cancellationToken);
        await using (SqliteCommand wal = connection.CreateCommand())
        {
            // Write-ahead logging, like the approvals store beside it: readers never wait for the writer.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await using SqliteTransaction transaction = connection.BeginTransaction();
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS accounts (
                name TEXT PRIMARY KEY,
                balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0));
            CREATE TABLE IF NOT EXISTS ledger (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                from_account TEXT NULL,
                to_account TEXT NOT NULL,
                amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
                idempotency_key TEXT NULL,
                approval_id TEXT NULL,
                created_at TEXT NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS ledger_idempotency_key ON ledger (idempotency_key);
            """, cancellationToken);
        foreach (AccountBalance opening in s_openingBalances)
        {
            await ExecuteAsync(connection, transaction, "INSERT OR IGNORE INTO accounts (name, balance_cents) VALUES ($name, $cents);", cancellationToken,
                ("$name", opening.Account), ("$cents", opening.Cents));
        }

        await transaction.CommitAsync(cancellationToken);
        return bank;
    }

    /// <summary>Normalizes an account name as people type it ("Bob " is <c>bob</c>).</summary>
    public static string NormalizeAccount(string? account) => (account ?? "").Trim().ToLowerInvariant();

    /// <summary>Reads every account, by name.</summary>
    public async Task<IReadOnlyList<AccountBalance>> GetBalancesAsync(CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await OpenConnectionAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT name, balance_cents FROM accounts ORDER BY name;";
        List<AccountBalance> balances = [];
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            balances.Add(new AccountBalance(reader.GetString(0), reader.GetInt64(1)));
        }

        return balances;
    }

    /// <summary>Reads one account's balance in cents, or <see langword="null"/> when there is no such account.</summary>
    public async Task<long?> GetBalanceAsync(string account, CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await OpenConnectionAsync(cancellationToken);
        return await BalanceAsync(connection, null, NormalizeAccount(account), cancellationToken);
    }

    /// <summary>Reads the ledger, oldest first.</summary>
    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerAsync(CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await OpenConnectionAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT id, kind, from_account, to_account, amount_cents, idempotency_key, approval_id FROM ledger ORDER BY id;";
        List<LedgerEntry> entries = [];
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new LedgerEntry(
                reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return entries;
    }

    /// <summary>Says what is wrong with an account name, or returns <see langword="null"/> when the account exists.</summary>
    public async Task<string?> ValidateAccountAsync(string? account, CancellationToken cancellationToken = default)
    {
        string name = NormalizeAccount(account);
        if (name.Length == 0)
        {
            return "No account was named.";
        }

        await using SqliteConnection connection = await OpenConnectionAsync(cancellationToken);
        return await BalanceAsync(connection, null, name, cancellationToken) is null ? await UnknownAccountAsync(connection, null, name, cancellationToken) : null;
    }

    /// <summary>Deposits money into an account; with an idempotency key, at most once per key.</summary>
    public Task<BankOperationResult> DepositAsync(string account, decimal amount, string? idempotencyKey, string? approvalId, CancellationToken cancellationToken = default) =>
        MoveAsync("deposit", null, NormalizeAccount(account), amount, idempotencyKey, approvalId, cancellationToken);

    /// <summary>Moves money between two accounts; with an idempotency key, at most once per key.</summary>
    public Task<BankOperationResult> TransferAsync(string from, string to, decimal amount, string? idempotencyKey, string? approvalId, CancellationToken cancellationToken = default) =>
        MoveAsync("transfer", NormalizeAccount(from), NormalizeAccount(to), amount, idempotencyKey, approvalId, cancellationToken);

    private async Task<BankOperationResult> MoveAsync(
        string kind, string? from, string to, decimal amount, string? idempotencyKey, string? approvalId, CancellationToken cancellationToken)
    {
        if (Money.Validate(amount) is { } invalid)
        {
            return Refused(kind, invalid);
        }

        long cents = Money.ToCents(amount);
        await using SqliteConnection connection = await OpenConnectionAsync(cancellationToken);

        // BEGIN IMMEDIATE: the write lock is taken first, so the key lookup, the checks and the changes see one state.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        if (idempotencyKey is not null && await FindByKeyAsync(connection, transaction, idempotencyKey, cancellationToken) is { } done)
        {
            return new BankOperationResult(true, true, $"Already done earlier (idempotency key {idempotencyKey}), nothing moved again: {Describe(done.Kind, done.From, done.To, done.Cents)}.");
        }

        if (from is not null && from == to)
        {
            return Refused(kind, "The two accounts are the same.");
        }

        long? toBalance = await BalanceAsync(connection, transaction, to, cancellationToken);
        if (toBalance is null)
        {
            return Refused(kind, await UnknownAccountAsync(connection, transaction, to, cancellationToken));
        }

        long? fromBalance = null;
        if (from is not null)
        {
            fromBalance = await BalanceAsync(connection, transaction, from, cancellationToken);
            if (fromBalance is null)
            {
                return Refused(kind, await UnknownAccountAsync(connection, transaction, from, cancellationToken));
            }

            if (fromBalance < cents)
            {
                return Refused(kind, $"{from} has only {Money.Display(fromBalance.Value)}, less than {Money.Display(cents)}.");
            }

            await ExecuteAsync(connection, transaction, "UPDATE accounts SET balance_cents = balance_cents - $cents WHERE name = $name;", cancellationToken,
                ("$cents", cents), ("$name", from));
        }

        await ExecuteAsync(connection, transaction, "UPDATE accounts SET balance_cents = balance_cents + $cents WHERE name = $name;", cancellationToken,
            ("$cents", cents), ("$name", to));
        await ExecuteAsync(connection, transaction, """
            INSERT INTO ledger (kind, from_account, to_account, amount_cents, idempotency_key, approval_id, created_at)
            VALUES ($kind, $from, $to, $cents, $key, $approval, $at);
            """, cancellationToken,
            ("$kind", kind), ("$from", from), ("$to", to), ("$cents", cents), ("$key", idempotencyKey), ("$approval", approvalId),
            ("$at", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
        await transaction.CommitAsync(cancellationToken);

        string balances = from is null
            ? $"{to} now has {Money.Display(toBalance.Value + cents)}"
            : $"{from} now has {Money.Display(fromBalance!.Value - cents)}, {to} has {Money.Display(toBalance.Value + cents)}";
        return new BankOperationResult(true, false, $"{Capitalize(Describe(kind, from, to, cents))}. {Capitalize(balances)}.");
    }

    private static string Describe(string kind, string? from, string to, long cents) => kind == "deposit"
        ? $"deposited {Money.Display(cents)} into {to}"
        : $"transferred {Money.Display(cents)} from {from} to {to}";

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static BankOperationResult Refused(string kind, string reason) => new(false, false, $"The {kind} was not made: {reason}");

    private static async Task<string> UnknownAccountAsync(SqliteConnection connection, SqliteTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name FROM accounts ORDER BY name;";
        List<string> names = [];
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return $"There is no account '{name}'. Accounts: {string.Join(", ", names)}.";
    }

    private static async Task<LedgerEntry?> FindByKeyAsync(SqliteConnection connection, SqliteTransaction transaction, string key, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, kind, from_account, to_account, amount_cents, approval_id FROM ledger WHERE idempotency_key = $key;";
        command.Parameters.AddWithValue("$key", key);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LedgerEntry(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetInt64(4), key, reader.IsDBNull(5) ? null : reader.GetString(5))
            : null;
    }

    private static async Task<long?> BalanceAsync(SqliteConnection connection, SqliteTransaction? transaction, string account, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT balance_cents FROM accounts WHERE name = $name;";
        command.Parameters.AddWithValue("$name", account);
        return await command.ExecuteScalarAsync(cancellationToken) is long cents ? cents : null;
    }

    private static async Task ExecuteAsync(
        SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        SqliteConnection connection = new(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
