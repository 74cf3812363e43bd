namespace Codis.Proxy.Routing;

internal static partial class OpTable
{
    /// <summary>
    /// Commands served over a connection pinned to the session: transactions, blocking pops, the multi-key pops
    /// (LMPOP ZMPOP: every key must be popped from the one server that has them, also while the slot migrates),
    /// the writes of several keys that must be done on one server (RENAME COPY MSETNX BITOP MOVE: all keys in one
    /// slot, moved together when it migrates), and the stream reads (pinned only with BLOCK; without it they are
    /// routed, or split, by their keys).
    /// </summary>
    private static void AddPinned(Action<OpFlags, string, OpSpecial, string?> add)
    {
        add(OpFlags.Write, "MULTI", OpSpecial.Multi, null);
        add(OpFlags.Write, "EXEC", OpSpecial.Exec, null);
        add(OpFlags.Write, "DISCARD", OpSpecial.Discard, null);
        add(OpFlags.Write, "WATCH", OpSpecial.Watch, null);
        add(OpFlags.Write, "UNWATCH", OpSpecial.Unwatch, null);
        add(OpFlags.Write, "BLPOP BRPOP BRPOPLPUSH BLMOVE BZPOPMIN BZPOPMAX BLMPOP BZMPOP LMPOP ZMPOP", OpSpecial.Blocking, null);
        add(OpFlags.Write, "RENAME RENAMENX COPY MOVE MSETNX BITOP", OpSpecial.SameSlot, null);
        add(OpFlags.Read, "XREAD", OpSpecial.StreamRead, null);
        add(OpFlags.Write, "XREADGROUP", OpSpecial.StreamRead, null);
    }
}
