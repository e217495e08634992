namespace HumanInLoop.Internal;

/// <summary>Which reads a store offers beyond the ones every store has.</summary>
internal static class StoreReads
{
    /// <summary>
    /// Whether <paramref name="store"/> keeps conversations apart and reads entries without them: it implements
    /// <see cref="IStateStore.GetWithoutHistoryAsync"/> (and with it <see cref="StateQuery.IncludeHistory"/>) rather than inheriting the
    /// default. Only then is an entry without its conversation taken as one read without it; from any other store it is read, and
    /// judged, as a whole read exactly as before the read without it existed.
    /// </summary>
    public static bool WithoutHistory(IStateStore store)
    {
        while (store is TenantStateStore view)
        {
            store = view.Inner; // the tenant's view forwards the read: what counts is the store beneath it
        }

        if (!store.StoresHistorySeparately)
        {
            return false;
        }

        System.Reflection.InterfaceMapping map = store.GetType().GetInterfaceMap(typeof(IStateStore));
        int slot = Array.FindIndex(map.InterfaceMethods, m => m.Name == nameof(IStateStore.GetWithoutHistoryAsync));
        return slot >= 0 && map.TargetMethods[slot].DeclaringType != typeof(IStateStore);
    }
}
