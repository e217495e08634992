using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// <c>... -- storeops [rounds]</c>: the store's own cost per operation, beyond the driver. Each round runs, in a rotating order, one
/// compare-and-swap update and one read by id through HumanInLoop's store, the same statements bare through the same driver (a
/// pooled connection per operation on SQLite, an <see cref="NpgsqlDataSource"/> command on PostgreSQL) into tables made by the same
/// store class, and on SQLite the parts of an open (open alone; open and <c>PRAGMA busy_timeout</c>). Prints medians and the store's
/// excess per operation. Put the SQLite files on a RAM disk (<c>TMPDIR=/dev/shm/...</c>) to take <c>fsync</c> out and see the CPU
/// cost alone; the durability settings are the store's in both cases.
/// </summary>
public static class StoreOpsMode
{
    private const string Data = "{\"padding\":\"";

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        string data = Data + new string('x', 2000) + "\"}";
        Console.WriteLine($"{rounds} rounds, files under {Path.GetTempPath()}");
        Console.WriteLine();
        Console.WriteLine("| Store | Operation | Bare (µs, median) | HumanInLoop (µs, median) | Excess (µs) | Ratio |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        await SqliteAsync(rounds, data);
        if (BenchmarkStores.PostgresConnectionString is { } postgres)
        {
            await PostgresAsync(rounds, data, postgres);
        }

        return 0;
    }

    private static StateEntry Entry(string id, long version, string data) =>
        new(id, "conversation-1", version == 1 ? ApprovalStatus.Pending : ApprovalStatus.Decided, DateTimeOffset.UnixEpoch.AddDays(20000), DateTimeOffset.UnixEpoch.AddDays(20003), DateTimeOffset.UnixEpoch.AddDays(20000).AddSeconds(version), version, data)
        {
            History = version == 1 ? "[]" : null,
            Approvers = version == 1 ? [""] : null,
        };

    private static async Task SqliteAsync(int rounds, string data)
    {
        string directory = Directory.CreateTempSubdirectory("hil-bench-ops-").FullName;
        try
        {
            string hilConnection = $"Data Source={Path.Combine(directory, "approvals.db")}";
            string bareConnection = $"Data Source={Path.Combine(directory, "bare.db")}";
            SqliteStateStore store = new(hilConnection);
            await new SqliteStateStore(bareConnection).InitializeAsync(); // the same tables, indexes, triggers and WAL mode
            string id = "approval-0001";
            await store.TryCreateAsync(Entry(id, 1, data));
            await using (SqliteConnection connection = new(bareConnection))
            {
                await connection.OpenAsync();
                await using SqliteCommand insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, approvers) VALUES (@id, 'conversation-1', 0, 0, 0, 0, 1, @data, '[\"\"]')";
                insert.Parameters.AddWithValue("@id", id);
                insert.Parameters.AddWithValue("@data", data);
                await insert.ExecuteNonQueryAsync();
            }

            long hilVersion = 1, bareVersion = 1;
            List<double> hilUpdate = [], bareUpdate = [], hilGet = [], bareGet = [], open = [], openPragma = [];
            Func<Task>[] steps =
            [
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    bool ok = await store.TryUpdateAsync(Entry(id, hilVersion + 1, data), hilVersion);
                    hilUpdate.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    hilVersion += ok ? 1 : throw new InvalidOperationException("The store's update failed.");
                },
                async () =>
                {
                    StateEntry entry = Entry(id, bareVersion + 1, data);
                    long start = Stopwatch.GetTimestamp();
                    await using (SqliteConnection connection = new(bareConnection))
                    {
                        await connection.OpenAsync();
                        await using SqliteCommand update = connection.CreateCommand();
                        update.CommandText = "UPDATE hil_approvals SET conversation_id = @conversation, status = @status, created_at = @created, expires_at = @expires, updated_at = @updated, version = @version, data = @data, tenant_id = @tenant, approvers = @approvers WHERE id = @id AND version = @expected";
                        update.Parameters.AddWithValue("@id", id);
                        update.Parameters.AddWithValue("@conversation", (object?)entry.ConversationId ?? DBNull.Value);
                        update.Parameters.AddWithValue("@status", (int)entry.Status);
                        update.Parameters.AddWithValue("@created", entry.CreatedAt.ToUnixTimeMilliseconds());
                        update.Parameters.AddWithValue("@expires", entry.ExpiresAt.ToUnixTimeMilliseconds());
                        update.Parameters.AddWithValue("@updated", entry.UpdatedAt.ToUnixTimeMilliseconds());
                        update.Parameters.AddWithValue("@version", entry.Version);
                        update.Parameters.AddWithValue("@data", entry.Data);
                        update.Parameters.AddWithValue("@tenant", DBNull.Value);
                        update.Parameters.AddWithValue("@approvers", entry.Approvers is { } names ? JsonSerializer.Serialize(names) : DBNull.Value);
                        update.Parameters.AddWithValue("@expected", bareVersion);
                        bareVersion += await update.ExecuteNonQueryAsync() == 1 ? 1 : throw new InvalidOperationException("The bare update failed.");
                    }

                    bareUpdate.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    _ = await store.GetAsync(id) ?? throw new InvalidOperationException("The store's read found nothing.");
                    hilGet.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    await using (SqliteConnection connection = new(bareConnection))
                    {
                        await connection.OpenAsync();
                        await using SqliteCommand select = connection.CreateCommand();
                        select.CommandText = "SELECT a.id, a.conversation_id, a.status, a.created_at, a.expires_at, a.updated_at, a.version, a.data, COALESCE(h.history, a.history), a.tenant_id, a.approvers FROM hil_approvals a LEFT JOIN hil_approval_history h ON h.approval_id = a.id WHERE a.id = @id";
                        select.Parameters.AddWithValue("@id", id);
                        await using SqliteDataReader reader = await select.ExecuteReaderAsync();
                        _ = await reader.ReadAsync() ? reader.GetString(7) : throw new InvalidOperationException("The bare read found nothing.");
                    }

                    bareGet.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    await using (SqliteConnection connection = new(bareConnection))
                    {
                        await connection.OpenAsync();
                    }

                    open.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    await using (SqliteConnection connection = new(bareConnection))
                    {
                        await connection.OpenAsync();
                        await using SqliteCommand pragma = connection.CreateCommand();
                        pragma.CommandText = "PRAGMA busy_timeout = 30000";
                        await pragma.ExecuteNonQueryAsync();
                    }

                    openPragma.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
            ];

            await RunRoundsAsync(steps, rounds, hilUpdate, bareUpdate, hilGet, bareGet, open, openPragma);
            Print("Sqlite", "update (CAS, one commit)", bareUpdate, hilUpdate);
            Print("Sqlite", "get by id", bareGet, hilGet);
            Print("Sqlite", "open a pooled connection; + PRAGMA busy_timeout", open, openPragma);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task PostgresAsync(int rounds, string data, string connectionString)
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string hilSchema = $"bench_ops_hil_{suffix}", bareSchema = $"bench_ops_bare_{suffix}";
        await using PostgreSqlStateStore store = new(new PostgreSqlStateStoreOptions { ConnectionString = connectionString, Schema = hilSchema });
        await using NpgsqlDataSource bare = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using (PostgreSqlStateStore tables = new(new PostgreSqlStateStoreOptions { ConnectionString = connectionString, Schema = bareSchema }))
            {
                await tables.InitializeAsync();
            }

            string id = "approval-0001";
            await store.TryCreateAsync(Entry(id, 1, data));
            await using (NpgsqlCommand insert = bare.CreateCommand($"INSERT INTO \"{bareSchema}\".hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, approvers) VALUES ($1, 'conversation-1', 0, now(), now(), now(), 1, $2, ARRAY[''])"))
            {
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = data, NpgsqlDbType = NpgsqlDbType.Text });
                await insert.ExecuteNonQueryAsync();
            }

            long hilVersion = 1, bareVersion = 1;
            List<double> hilUpdate = [], bareUpdate = [], hilGet = [], bareGet = [];
            Func<Task>[] steps =
            [
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    bool ok = await store.TryUpdateAsync(Entry(id, hilVersion + 1, data), hilVersion);
                    hilUpdate.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    hilVersion += ok ? 1 : throw new InvalidOperationException("The store's update failed.");
                },
                async () =>
                {
                    StateEntry entry = Entry(id, bareVersion + 1, data);
                    long start = Stopwatch.GetTimestamp();
                    await using NpgsqlCommand command = bare.CreateCommand($"UPDATE \"{bareSchema}\".hil_approvals SET conversation_id = $2, status = $3, created_at = $4, expires_at = $5, updated_at = $6, version = $7, data = $8, tenant_id = $10, approvers = $11 WHERE id = $1 AND version = $9");
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)entry.Status });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.ExpiresAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.UpdatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entry.Version });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Data, NpgsqlDbType = NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bareVersion });
                    command.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter { Value = entry.Approvers is { } names ? names.ToArray() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                    bareVersion += await command.ExecuteNonQueryAsync() == 1 ? 1 : throw new InvalidOperationException("The bare update failed.");
                    bareUpdate.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    _ = await store.GetAsync(id) ?? throw new InvalidOperationException("The store's read found nothing.");
                    hilGet.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
                async () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    await using NpgsqlCommand select = bare.CreateCommand($"SELECT id, conversation_id, status, created_at, expires_at, updated_at, version, data, history, tenant_id, approvers FROM \"{bareSchema}\".hil_approvals WHERE id = $1");
                    select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
                    await using NpgsqlDataReader reader = await select.ExecuteReaderAsync();
                    _ = await reader.ReadAsync() ? reader.GetString(7) : throw new InvalidOperationException("The bare read found nothing.");
                    bareGet.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                },
            ];

            await RunRoundsAsync(steps, rounds, hilUpdate, bareUpdate, hilGet, bareGet);
            Print("PostgreSql", "update (CAS, one commit)", bareUpdate, hilUpdate);
            Print("PostgreSql", "get by id", bareGet, hilGet);
        }
        finally
        {
            foreach (string schema in new[] { hilSchema, bareSchema })
            {
                await using NpgsqlCommand drop = bare.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                await drop.ExecuteNonQueryAsync();
            }
        }
    }

    /// <summary>Runs every step once per round, starting each round at the next step, after a tenth of the rounds as warm-up.</summary>
    private static async Task RunRoundsAsync(Func<Task>[] steps, int rounds, params List<double>[] samples)
    {
        for (int round = 0; round < rounds / 10; round++)
        {
            foreach (Func<Task> step in steps)
            {
                await step();
            }
        }

        foreach (List<double> list in samples)
        {
            list.Clear();
        }

        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < steps.Length; i++)
            {
                await steps[(round + i) % steps.Length]();
            }
        }
    }

    private static void Print(string store, string operation, List<double> bare, List<double> hil)
    {
        double bareMedian = Median(bare), hilMedian = Median(hil);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {store} | {operation} | {bareMedian:N1} | {hilMedian:N1} | {hilMedian - bareMedian:N1} | {hilMedian / bareMedian:N2} |"));
    }

    private static double Median(List<double> samples)
    {
        List<double> sorted = [.. samples];
        sorted.Sort();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
