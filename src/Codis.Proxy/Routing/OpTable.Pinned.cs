namespace Codis.Proxy.Routing;

internal static partial class OpTable
{
    /// <summary>Commands served over a connection pinned to the session: transactions and blocking pops.</summary>
    private static void AddPinned(Action<OpFlags, string, OpSpecial, string?> add)
    {
        add(OpFlags.Write, "MULTI", OpSpecial.Multi, null);
        add(OpFlags.Write, "EXEC", OpSpecial.Exec, null);
        add(OpFlags.Write, "DISCARD", OpSpecial.Discard, null);
        add(OpFlags.Write, "WATCH", OpSpecial.Watch, null);
        add(OpFlags.Write, "UNWATCH", OpSpecial.Unwatch, null);
        add(OpFlags.Write, "BLPOP BRPOP BRPOPLPUSH BLMOVE BZPOPMIN BZPOPMAX", OpSpecial.Blocking, null);
    }
}
