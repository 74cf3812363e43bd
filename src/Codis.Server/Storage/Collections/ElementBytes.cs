namespace Codis.Server.Storage.Collections;

/// <summary>
/// The bytes of a stored element: a hashtable/skiplist collection's fields, values and members, and a new key's
/// name and string value. One place allocates them, so that where they live is decided once.
/// <para>
/// They are ordinary arrays. They were on the pinned object heap for a while (never copied by gen0/gen1
/// collections: a migration target's longest pause 30 → 3 ms), but the pinned heap is never compacted and
/// allocates from a free list: once deletions leave holes a little larger than the sizes being asked for, every
/// allocation walks them all (200,000 holes of 40-byte objects: 700 µs per 24-byte allocation; ZADD of new members
/// on a server that had overwritten its keys ran at a third of its speed). Young arrays cost bounded copying
/// instead: ≤ 36 ms per collection while a million-element collection loads, and less CPU overall
/// (bench/RESULTS.md, "Elements off the pinned heap").
/// </para>
/// </summary>
internal static class ElementBytes
{
    public static byte[] Copy(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? [] : bytes.ToArray();
}
