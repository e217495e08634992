using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SseChat.Bank;

/// <summary>
/// The demo bank: one account per user (opened with $1,000.00), kept in the sample's SQLite file so it survives restarts.
/// A transfer is recorded under its idempotency key in the same transaction as the debit, so running it twice with one key
/// moves money once. Amounts are integer cents. Thread-safe: each call uses its own pooled connection.
/// </summary>
internal sealed class SqliteBank
{
    public const long OpeningBalanceCents = 100_000;
    private readonly string _connectionString;

    public SqliteBank(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 }.ToString();
        using SqliteConnection connection = Open();
        Execute(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS bank_accounts (owner TEXT PRIMARY KEY, balance_cents INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS bank_transfers (
                idempotency_key TEXT PRIMARY KEY, owner TEXT NOT NULL, to_account TEXT NOT NULL,
                amount_cents INTEGER NOT NULL, balance_after_cents INTEGER NOT NULL, created_at INTEGER NOT NULL);
            """);
    }

    public static string Money(long cents) => (cents / 100m).ToString("$#,##0.00", CultureInfo.InvariantCulture);

    public long GetBalance(string owner)
    {
        using SqliteConnection connection = Open();
        using SqliteTransaction transaction = connection.BeginTransaction();
        long balance = EnsureAccount(connection, transaction, owner);
        transaction.Commit();
        return balance;
    }

    public long Deposit(string owner, long cents)
    {
        using SqliteConnection connection = Open();
        using SqliteTransaction transaction = connection.BeginTransaction();
        long balance = EnsureAccount(connection, transaction, owner) + cents;
        Execute(connection, transaction, "UPDATE bank_accounts SET balance_cents = $b WHERE owner = $o", ("$b", balance), ("$o", owner));
        transaction.Commit();
        return balance;
    }

    /// <summary>Moves money once per idempotency key; a repeated key returns the first outcome and moves nothing.</summary>
    public TransferOutcome Transfer(string owner, string to, long cents, string idempotencyKey)
    {
        using SqliteConnection connection = Open();
        using SqliteTransaction transaction = connection.BeginTransaction();
        using (SqliteCommand existing = Command(connection, transaction, "SELECT to_account, amount_cents, balance_after_cents FROM bank_transfers WHERE idempotency_key = $k", ("$k", idempotencyKey)))
        using (SqliteDataReader reader = existing.ExecuteReader())
        {
            if (reader.Read())
            {
                return new TransferOutcome(true, reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), Repeated: true);
            }
        }

        long balance = EnsureAccount(connection, transaction, owner);
        if (cents > balance)
        {
            return new TransferOutcome(false, to, cents, balance, Repeated: false);
        }

        balance -= cents;
        Execute(connection, transaction, "UPDATE bank_accounts SET balance_cents = $b WHERE owner = $o", ("$b", balance), ("$o", owner));
        Execute(connection, transaction,
            "INSERT INTO bank_transfers (idempotency_key, owner, to_account, amount_cents, balance_after_cents, created_at) VALUES ($k, $o, $t, $a, $b, $c)",
            ("$k", idempotencyKey), ("$o", owner), ("$t", to), ("$a", cents), ("$b", balance), ("$c", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        transaction.Commit();
        return new TransferOutcome(true, to, cents, balance, Repeated: false);
    }

    private static long EnsureAccount(SqliteConnection connection, SqliteTransaction transaction, string owner)
    {
        Execute(connection, transaction, "INSERT OR IGNORE INTO bank_accounts (owner, balance_cents) VALUES ($o, $b)", ("$o", owner), ("$b", OpeningBalanceCents));
        using SqliteCommand read = Command(connection, transaction, "SELECT balance_cents FROM bank_accounts WHERE owner = $o", ("$o", owner));
        return (long)read.ExecuteScalar()!;
    }

    private SqliteConnection Open()
    {
        SqliteConnection connection = new(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using SqliteCommand command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}

internal sealed record TransferOutcome(bool Succeeded, string To, long AmountCents, long BalanceAfterCents, bool Repeated);
