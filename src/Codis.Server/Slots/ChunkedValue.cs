using System.Buffers.Binary;
using Codis.Core.Resp;
using Codis.Server.Storage;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Hashes;
using Codis.Server.Storage.Lists;
using Codis.Server.Storage.Sets;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Slots;

/// <summary>
/// A big collection on its way to the target in chunks, as the original's semi-async migration sends it
/// (reference/codis.md §6.4): <c>SLOTSRESTORE-ASYNC list|hash|dict|zset key ttl hint items...</c> messages of at
/// most maxbulks items, each with the temporary TTL 3×timeout (a half-copied key expires if the migration dies),
/// then <c>SLOTSRESTORE-ASYNC expire key ttl</c> with the real TTL.
/// <para>
/// The elements come from a snapshot taken when the batch starts: one array copy of the collection's entry table
/// (its elements are immutable, so the copy shares them), not a serialization — so the lock is held for a
/// memory copy, not for encoding millions of elements. Chunks are encoded on demand, a few at a time, as the
/// target acknowledges. Writes to the live key after the snapshot reach the target as forwarded commands queued
/// behind the last chunk (<see cref="AsyncMigration"/>).
/// </para>
/// </summary>
internal sealed class ChunkedValue
{
    private readonly string sub;
    private readonly int perElement;
    private readonly int length;
    private readonly Func<int, byte[]?>? single;            // list, listpack/intset set: element i
    private readonly Func<int, (byte[], byte[])?>? pair;    // hash, zset: element i as two items
    private int position;
    private bool expireSent;

    public byte[] Key { get; }

    /// <summary>The key's deadline when the batch started (unix ms, 0 = none); later changes arrive as forwarded commands.</summary>
    public long ExpireAt { get; }

    /// <summary>The element count at the snapshot (the "hint" the target may pre-size with).</summary>
    public int Hint { get; }

    public int ChunksSent { get; private set; }

    private ChunkedValue(byte[] key, long expireAt, string sub, int perElement, int hint, int length, Func<int, byte[]?>? single, Func<int, (byte[], byte[])?>? pair)
    {
        Key = key;
        ExpireAt = expireAt;
        this.sub = sub;
        this.perElement = perElement;
        Hint = hint;
        this.length = length;
        this.single = single;
        this.pair = pair;
    }

    /// <summary>Element count and items per element of a collection; false for strings and streams (sent whole).</summary>
    private static bool Measure(object value, out long count, out int perElement)
    {
        (count, perElement) = value switch
        {
            ListValue l => (l.Count, 1),
            SetValue s => (s.Count, 1),
            HashValue h => (h.Count, 2),
            SortedSetValue z => (z.Count, 2),
            _ => (0L, 0),
        };
        return perElement > 0;
    }

    /// <summary>Whether the value goes in chunks: a collection of more than maxbulks items (×2 per hash/zset entry).</summary>
    public static bool ShouldChunk(object value, long maxBulks) =>
        Measure(value, out long count, out int per) && count * per > maxBulks;

    /// <summary>The original's estimate of a key's messages: 1, or ⌈items/maxbulks⌉ for a chunked collection.</summary>
    public static long EstimateMessages(object? value, long maxBulks)
    {
        if (value == null || !Measure(value, out long count, out int per) || count * per <= maxBulks) return 1;
        return (count * per + maxBulks - 1) / maxBulks;
    }

    /// <summary>Snapshots a collection (under the lock): a copy of its entry array, or of its elements when compact.</summary>
    public static ChunkedValue Create(byte[] key, object value, long expireAt)
    {
        switch (value)
        {
            case ListValue l:
            {
                var items = l.Items().ToArray();
                return new(key, expireAt, "list", 1, items.Length, items.Length, i => items[i], null);
            }
            case SetValue s when s.Table is { } table:
            {
                var snap = table.TakeSnapshot();
                return new(key, expireAt, "dict", 1, s.Count, snap.Length, i => snap.IsUsed(i) ? snap.KeyAt(i) : null, null);
            }
            case SetValue s:
            {
                var members = s.Members().ToArray();
                return new(key, expireAt, "dict", 1, members.Length, members.Length, i => members[i], null);
            }
            case HashValue h when h.Table is { } table:
            {
                var snap = table.TakeSnapshot();
                return new(key, expireAt, "hash", 2, h.Count, snap.Length, null, i => snap.IsUsed(i) ? (snap.KeyAt(i), snap.ValueAt(i)) : null);
            }
            case HashValue h:
            {
                var pairs = h.Entries().ToArray();
                return new(key, expireAt, "hash", 2, pairs.Length, pairs.Length, null, i => pairs[i]);
            }
            case SortedSetValue z:
            {
                var snap = z.Table.TakeSnapshot();
                return new(key, expireAt, "zset", 2, z.Count, snap.Length, null, i => snap.IsUsed(i) ? (snap.KeyAt(i), Score(snap.ValueAt(i))) : null);
            }
            default:
                throw new ArgumentException("not a chunkable collection", nameof(value));
        }
    }

    /// <summary>A zset score in a chunk: 8 raw bytes, IEEE-754 double, little-endian.</summary>
    private static byte[] Score(double score)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, BitConverter.DoubleToInt64Bits(score));
        return b;
    }

    private static readonly byte[] Command = "SLOTSRESTORE-ASYNC"u8.ToArray();

    /// <summary>
    /// The next message: a chunk of at most <paramref name="maxBulks"/> items and about <paramref name="maxBytes"/>,
    /// then the expire message; null once both are sent.
    /// </summary>
    public byte[]? Next(long maxBulks, long maxBytes, long chunkTtl, long now)
    {
        if (expireSent) return null;
        var args = new List<byte[]> { Command, System.Text.Encoding.ASCII.GetBytes(sub), Key, SlotCommands.Number(chunkTtl), SlotCommands.Number(Hint) };
        long bytes = 0;
        int items = 0;
        while (position < length && (items == 0 || (items + perElement <= maxBulks && bytes < maxBytes)))
        {
            int i = position++;
            if (single != null)
            {
                if (single(i) is not { } e) continue;
                args.Add(e);
                bytes += e.Length;
            }
            else
            {
                if (pair!(i) is not { } p) continue;
                var (a, b) = p;
                args.Add(a);
                args.Add(b);
                bytes += a.Length + b.Length;
            }
            items += perElement;
        }
        if (items > 0)
        {
            ChunksSent++;
            return RespValue.EncodeCommand(args);
        }
        expireSent = true;
        long ttl = ExpireAt == 0 ? 0 : Math.Max(1, ExpireAt - now);
        return RespValue.EncodeCommand([Command, "expire"u8.ToArray(), Key, SlotCommands.Number(ttl)]);
    }
}
