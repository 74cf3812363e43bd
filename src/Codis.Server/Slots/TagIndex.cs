using Codis.Core.Slots;
using Codis.Server.Persistence;

namespace Codis.Server.Slots;

/// <summary>
/// The keys of one database that carry a hash tag, grouped by the tag's CRC-32 (the original's skiplist of tagged
/// keys ordered by tag CRC): SLOTSMGRTTAG* move a whole group at once without scanning its slot. Keys without a tag
/// never enter it, so a keyspace without tags pays one '{' search per added or removed key. Kept in step with the
/// keyspace by <see cref="Storage.Database"/>; all methods run under the keyspace lock.
/// </summary>
internal sealed class TagIndex
{
    private readonly Dictionary<uint, HashSet<byte[]>> groups = new();

    /// <summary>Number of tagged keys.</summary>
    public long Count { get; private set; }

    /// <summary>The tag CRC of a key, when it has a tag (the first '{' and a later '}').</summary>
    public static bool TryGetTagCrc(ReadOnlySpan<byte> key, out uint crc)
    {
        if (!SlotHash.HasTag(key))
        {
            crc = 0;
            return false;
        }
        crc = SlotHash.TagCrc(key);
        return true;
    }

    public void OnAdded(byte[] key)
    {
        if (!TryGetTagCrc(key, out uint crc)) return;
        if (!groups.TryGetValue(crc, out var set)) groups[crc] = set = new HashSet<byte[]>(ByteArrayComparer.Instance);
        if (set.Add(key)) Count++;
    }

    public void OnRemoved(byte[] key)
    {
        if (!TryGetTagCrc(key, out uint crc) || !groups.TryGetValue(crc, out var set)) return;
        if (set.Remove(key)) Count--;
        if (set.Count == 0) groups.Remove(crc);
    }

    /// <summary>The keys whose tag has this CRC (empty when none); the caller must not change the keyspace while iterating.</summary>
    public IReadOnlyCollection<byte[]> Group(uint crc) => groups.TryGetValue(crc, out var set) ? set : [];

    /// <summary>Drops the groups of one slot (every tag CRC of a slot has the slot number in its low 10 bits).</summary>
    public void ClearSlot(int slot)
    {
        List<uint>? drop = null;
        foreach (var (crc, set) in groups)
        {
            if ((crc & SlotHash.SlotMask) != (uint)slot) continue;
            (drop ??= new()).Add(crc);
            Count -= set.Count;
        }
        if (drop != null) foreach (var crc in drop) groups.Remove(crc);
    }

    public void Clear()
    {
        groups.Clear();
        Count = 0;
    }

    /// <summary>Every indexed key (SLOTSCHECK).</summary>
    public IEnumerable<byte[]> AllKeys() => groups.Values.SelectMany(s => s);
}
