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
/// using it for good once nearly all its allocations turn slow: at least <see cref="SlowPerWindow"/> of a window of
/// <see cref="Window"/> over 20 µs (a normal one takes 0.25 µs). Single slow ones are normal: the runtime holds
/// pinned allocations back while a background collection runs.
/// </para>
/// </summary>
internal static class ElementBytes
{
    public const int Window = 1024;
    public const int SlowPerWindow = 900;

    private static readonly long SlowTicks = Stopwatch.Frequency / 50_000; // 20 µs
    [ThreadStatic] private static int longLived;
    // Restores run one at a time (under the keyspace lock, or the loader at start): plain counters will do.
    private static int inWindow, slowInWindow;
    private static volatile bool pinnedUsable = true;

    /// <summary>Whether restores still allocate on the pinned heap (false once its allocations turned slow).</summary>
    public static bool PinnedUsable => pinnedUsable;

    public static byte[] Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        if (longLived == 0 || !pinnedUsable) return bytes.ToArray();
        long start = Stopwatch.GetTimestamp();
        var a = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        Count(Stopwatch.GetTimestamp() - start > SlowTicks);
        bytes.CopyTo(a);
        return a;
    }

    private static void Count(bool slow)
    {
        if (slow) slowInWindow++;
        if (++inWindow < Window) return;
        if (slowInWindow >= SlowPerWindow)
        {
            pinnedUsable = false;
            Log.Warn("pinned-heap allocations turned slow (its free list is fragmented): restored elements are ordinary arrays from now on",
                ("slow_allocations", slowInWindow), ("of", inWindow));
        }
        inWindow = slowInWindow = 0;
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
