using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// Lets one write at a time, per database file and process, reach SQLite; the others wait for it asynchronously.
/// </summary>
/// <remarks>
/// <para>
/// SQLite has one writer per file. A second writer waits in SQLite's busy handler, which sleeps the calling thread, and
/// Microsoft.Data.Sqlite's asynchronous methods run synchronously; so under load every waiting write held a thread-pool thread
/// asleep, and the host's pool ran out of threads (measured with benchmarks/SseLoad: seconds of latency per event at 1,000
/// chats). Behind this gate, waiting writes hold no thread, and only one thread per process is in SQLite's write lock.
/// </para>
/// <para>
/// The gate is shared by every store of the process on the same file (the state store, the notification store, any number of
/// instances), keyed by the file's full path. Other processes, and the host's own writes to the same file, still meet SQLite's
/// busy handler with the configured busy timeout. A write that cannot enter the gate within the busy timeout fails as SQLite
/// would: <see cref="SqliteException"/> with <c>SQLITE_BUSY</c>.
/// </para>
/// </remarks>
internal sealed class SqliteWriteGate
{
    private const int SqliteBusy = 5;
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate;
    private readonly TimeSpan _timeout;
    private readonly string _dataSource;

    /// <summary>Initializes a new instance of the <see cref="SqliteWriteGate"/> class.</summary>
    /// <param name="dataSource">The database file, as the connection string names it.</param>
    /// <param name="timeout">How long a write waits to enter before it fails as busy.</param>
    public SqliteWriteGate(string dataSource, TimeSpan timeout)
    {
        _dataSource = dataSource;
        _timeout = timeout;
        _gate = Gates.GetOrAdd(Key(dataSource), static _ => new SemaphoreSlim(1, 1));
    }

    /// <summary>Waits for the file's write turn; dispose the result to end it.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The turn; disposing it lets the next write in.</returns>
    /// <exception cref="SqliteException">The turn did not come within the busy timeout (<c>SQLITE_BUSY</c>).</exception>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new SqliteException(
                $"SQLite Error 5: 'database is locked'. Other writes of this process to '{_dataSource}' held it for longer than the busy timeout ({_timeout}).",
                SqliteBusy);
        }

        return new Turn(_gate);
    }

    private static string Key(string dataSource)
    {
        try
        {
            return Path.GetFullPath(dataSource);
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return dataSource; // a URI or another name SQLite understands: the same text still shares one gate
        }
    }

    /// <summary>One write's turn at the file; disposing it (once) lets the next write in.</summary>
    internal sealed class Turn : IAsyncDisposable, IDisposable
    {
        private SemaphoreSlim? _gate;

        /// <summary>Initializes a new instance of the <see cref="Turn"/> class.</summary>
        /// <param name="gate">The entered gate.</param>
        public Turn(SemaphoreSlim gate) => _gate = gate;

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release();

        /// <inheritdoc />
        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
