using System.Diagnostics;
using Codis.Core.Logging;

namespace Codis.Server.Storage.Collections;

/// <summary>
/// The bytes of a stored element: a hashtable/skiplist collection's fields, values and members, and a new key's
/// name and string value. One place allocates them, so that where they live is decided once.
/// <para>
/// Elements written by commands are ordinary arrays. Elements of a value being restored (RDB load, RESTORE, a
/// migration's chunks: <see cref="LongLived"/>) go to the pinned object heap: a restore makes hundreds of thousands
/// of arrays that all survive, which young collections would copy twice while every client waits (a migration
/// target's longest pause 33–73 ms → 2–5 ms), and the pinned heap is never copied and only swept by gen2.
/// </para>
/// <para>
/// The pinned heap is never compacted either, and allocates from a free list that each allocation walks: once
/// deletions leave many holes slightly larger than the sizes asked for, one allocation takes hundreds of µs
/// (200,000 holes of 40-byte objects: 700 µs each; with every element pinned, ZADD of new members on a server that
/// had overwritten its keys ran at a third of its speed). So commands never allocate there, and restores stop
/// using it for good once nearly all its allocations turn slow (<see cref="SlowWindow"/>: of 1,024 in a row, 900 over
/// 20 µs; a normal one takes 0.25 µs). Single slow ones are normal: the runtime holds pinned allocations back while
/// a background collection runs.
/// </para>
/// </summary>
internal static class ElementBytes
{
    private static readonly long SlowTicks = Stopwatch.Frequency / 50_000; // 20 µs
    [ThreadStatic] private static int longLived;
    private static readonly SlowWindow Guard = new();

    /// <summary>Whether restores still allocate on the pinned heap (false once its allocations turned slow).</summary>
    public static bool PinnedUsable => Guard.Usable;

    public static byte[] Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        if (longLived == 0 || !Guard.Usable) return bytes.ToArray();
        long start = Stopwatch.GetTimestamp();
        var a = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        if (!Guard.Record(Stopwatch.GetTimestamp() - start > SlowTicks))
            Log.Warn("pinned-heap allocations turned slow (its free list is fragmented): restored elements are ordinary arrays from now on",
                ("slow_of_the_last", SlowWindow.Size));
        bytes.CopyTo(a);
        return a;
    }

    /// <summary>
    /// Marks the elements allocated on this thread until the scope ends as part of a value being restored.
    /// </summary>
    public static LongLivedScope LongLived()
    {
        longLived++;
        return default;
    }

    public readonly struct LongLivedScope : IDisposable
    {
        public void Dispose() => longLived--;
    }
}

/// <summary>
/// Counts slow operations over consecutive windows of <see cref="Size"/>; gives up (for good) after a window in which
/// at least <see cref="SlowLimit"/> were slow. Restores run one at a time (under the keyspace lock, or the loader at
/// start), so plain counters do.
/// </summary>
internal sealed class SlowWindow
{
    public const int Size = 1024;
    public const int SlowLimit = 900;

    private int seen, slow;
    private volatile bool usable = true;

    public bool Usable => usable;

    /// <summary>Records one operation; false exactly once, when the window that made it give up ends.</summary>
    public bool Record(bool wasSlow)
    {
        if (wasSlow) slow++;
        if (++seen < Size) return true;
        bool giveUp = usable && slow >= SlowLimit;
        seen = slow = 0;
        if (!giveUp) return true;
        usable = false;
        return false;
    }
}
