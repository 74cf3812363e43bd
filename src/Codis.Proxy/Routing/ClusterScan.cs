using Codis.Core.Models;
using Codis.Core.Slots;

namespace Codis.Proxy.Routing;

/// <summary>
/// The cluster-wide SCAN cursor (docs/proxy-keyspace.md): slot (10 bits) | tag of the group whose table the
/// index refers to (14 bits) | the slot's owner epoch on this proxy (6 bits) | entry index in that group's
/// table of the slot (33 bits). The index is a
/// codis-server SCAN position, stable while a key lives. A slot that migrates is scanned on the source first,
/// then on the target; when a slot's owners are not the ones the tag names, the slot is scanned again from the
/// start (keys may repeat, none present for the whole scan is missed).
/// </summary>
internal readonly record struct ScanCursor(int Slot, int Tag, int Epoch, long Index)
{
    private const int SlotBits = 10, TagBits = 14, EpochBits = 6, TagShift = SlotBits, EpochShift = SlotBits + TagBits,
        IndexShift = SlotBits + TagBits + EpochBits;
    public const int EpochMask = (1 << EpochBits) - 1;
    /// <summary>"From the slot's first phase": also what a cursor of 0 (slot 0) means.</summary>
    public const int Restart = (1 << TagBits) - 1;

    public ulong Encode() => ((ulong)Index << IndexShift) | ((ulong)(Epoch & EpochMask) << EpochShift) | ((ulong)Tag << TagShift) | (uint)Slot;

    public static ScanCursor Decode(ulong c) =>
        new((int)(c & SlotHash.SlotMask), (int)((c >> TagShift) & Restart), (int)((c >> EpochShift) & EpochMask), (long)(c >> IndexShift));

    /// <summary>A cursor at the start of <paramref name="slot"/> that is never 0 (0 ends a scan).</summary>
    public static ScanCursor StartOf(int slot) => new(slot, Restart, 0, 0);

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

/// <summary>
/// Counts, per slot, the fills that changed who holds the slot's keys (owner or migration source). A SCAN cursor
/// carries the count it was made under; when it differs, the slot is scanned again from its start, which also
/// covers a slot that moved away and back between two calls (its keys got new table indexes).
/// </summary>
internal sealed class SlotEpochs
{
    private readonly Router router;
    private readonly int[] epochs = new int[SlotHash.SlotCount];
    private readonly SlotModel[] last = new SlotModel[SlotHash.SlotCount];
    private readonly Lock sync = new();

    public SlotEpochs(Router router)
    {
        this.router = router;
        for (int i = 0; i < last.Length; i++) last[i] = router.Slot(i);
        router.Filled += Update;
    }

    public int Of(int slot) => Volatile.Read(ref epochs[slot]) & ScanCursor.EpochMask;

    private void Update()
    {
        lock (sync)
            for (int i = 0; i < last.Length; i++)
            {
                var m = router.Slot(i);
                var old = last[i];
                if (ReferenceEquals(m, old)) continue;
                if (m.BackendAddr != old.BackendAddr || m.MigrateFrom != old.MigrateFrom) Interlocked.Increment(ref epochs[i]);
                last[i] = m;
            }
    }
}
