#if !NET9_0_OR_GREATER
namespace System.Threading;

/// <summary>
/// Stands in for .NET 9's <c>System.Threading.Lock</c> on .NET 8 (compiled only into the net8.0 builds, see
/// Directory.Build.props): the compiler lowers <c>lock (x)</c> on this type to <see cref="EnterScope"/>, here a monitor.
/// </summary>
internal sealed class Lock
{
    // The monitor is taken on a private object: the compiler warns when a Lock itself is converted to object.
    private readonly object _monitor = new();

    /// <summary>Enters the lock; disposing the scope exits it.</summary>
    public Scope EnterScope()
    {
        Monitor.Enter(_monitor);
        return new Scope(_monitor);
    }

    /// <summary>A held lock, released by <see cref="Dispose"/>.</summary>
    public readonly ref struct Scope
    {
        private readonly object _monitor;

        internal Scope(object monitor) => _monitor = monitor;

        /// <summary>Exits the lock.</summary>
        public void Dispose() => Monitor.Exit(_monitor);
    }
}
#endif
