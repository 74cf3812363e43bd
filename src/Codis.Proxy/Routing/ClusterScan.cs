using Codis.Core.Models;
using Codis.Core.Slots;

namespace Codis.Proxy.Routing;

/// <summary>
/// The cluster-wide SCAN cursor (docs/proxy-keyspace.md): slot (10 bits) | tag of the group whose table the
/// index refers to (14 bits) | entry index in that group's table of the slot (39 bits). The index is a
/// codis-server SCAN position, stable while a key lives. A slot that migrates is scanned on the source first,
/// then on the target; when a slot's owners are not the ones the tag names, the slot is scanned again from the
/// start (keys may repeat, none present for the whole scan is missed).
/// </summary>
internal readonly record struct ScanCursor(int Slot, int Tag, long Index)
{
    private const int SlotBits = 10, TagBits = 14, TagShift = SlotBits, IndexShift = SlotBits + TagBits;
    /// <summary>"From the slot's first phase": also what a cursor of 0 (slot 0) means.</summary>
    public const int Restart = (1 << TagBits) - 1;
    public const long MaxIndex = (1L << (63 - IndexShift)) - 1;

    public ulong Encode() => ((ulong)Index << IndexShift) | ((ulong)Tag << TagShift) | (uint)Slot;

    public static ScanCursor Decode(ulong c) =>
        new((int)(c & SlotHash.SlotMask), (int)((c >> TagShift) & Restart), (long)(c >> IndexShift));

    /// <summary>A cursor at the start of <paramref name="slot"/> that is never 0 (0 ends a scan).</summary>
    public static ScanCursor StartOf(int slot) => new(slot, Restart, 0);

    /// <summary>The tag of a group: its id, or a hash of its address when the routing carries no id.</summary>
    public static int TagOf(int groupId, string address)
    {
        if (groupId > 0 && groupId < Restart) return groupId;
        uint h = 2166136261;
        foreach (char ch in address) h = (h ^ ch) * 16777619;
        return (int)(h % (Restart - 1)) + 1;
    }

    /// <summary>The tables a slot is scanned in, in order: the source then the target while it migrates; null when offline.</summary>
    public static (string Address, int Tag)[]? Phases(SlotModel m)
    {
        if (m.BackendAddr.Length == 0) return null;
        var target = (m.BackendAddr, TagOf(m.BackendAddrGroupId, m.BackendAddr));
        if (m.MigrateFrom.Length > 0 && m.MigrateFrom != m.BackendAddr)
            return [(m.MigrateFrom, TagOf(m.MigrateFromGroupId, m.MigrateFrom)), target];
        return [target];
    }
}
