namespace Codis.Server.Storage.Collections;

/// <summary>
/// The bytes of an element of a big collection (hashtable or skiplist encoding), allocated outside the young
/// generation. Such an element usually lives as long as its collection, and a young one is marked and copied twice
/// (gen0 → gen1 → gen2) by collections that pause every client: a target receiving a million-element sorted set or
/// hash paused 50–120 ms per gen1 collection doing that. On the pinned object heap an array is never copied and is
/// looked at only by gen2 collections (which sweep it in the background), and a reference to it stored in an old
/// table marks no card for the next gen0 collection to scan. Small collections (listpack, intset) keep ordinary
/// arrays: few elements, and often short-lived.
/// </summary>
internal static class ElementBytes
{
    public static byte[] Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        var a = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(a);
        return a;
    }
}
