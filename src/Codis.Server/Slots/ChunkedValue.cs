using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
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
internal sealed class ChunkedValue : IChunkedMessages
{
    private readonly string sub;
    private readonly int perElement;
    private readonly int length;
    private readonly Func<int, byte[]?>? single;            // list, listpack/intset set: element i
    private readonly Func<int, Element?>? pair;             // hash, zset: element i as two items

    /// <summary>A hash field and value, or a zset member and score (B null).</summary>
    private readonly record struct Element(byte[] A, byte[]? B, double Score);
    private int position;
    private bool expireSent;

    public byte[] Key { get; }

    /// <summary>The key's deadline when the batch started (unix ms, 0 = none); later changes arrive as forwarded commands.</summary>
    public long ExpireAt { get; }

    /// <summary>The element count at the snapshot (the "hint" the target may pre-size with).</summary>
    public int Hint { get; }

    public int ChunksSent { get; private set; }

    private ChunkedValue(byte[] key, long expireAt, string sub, int perElement, int hint, int length, Func<int, byte[]?>? single, Func<int, Element?>? pair)
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

    /// <summary>
    /// Element count and items per element of a collection; false for strings (sent whole). A stream counts its
    /// entries and its groups' pending entries and consumers, one item each (<see cref="ChunkedStream"/>).
    /// </summary>
    private static bool Measure(object value, out long count, out int perElement)
    {
        (count, perElement) = value switch
        {
            ListValue l => (l.Count, 1),
            SetValue s => (s.Count, 1),
            HashValue h => (h.Count, 2),
            SortedSetValue z => (z.Count, 2),
            Storage.Streams.StreamValue st => (ChunkedStream.Items(st), 1),
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
    public static IChunkedMessages Create(byte[] key, object value, long expireAt)
    {
        switch (value)
        {
            case Storage.Streams.StreamValue stream:
                return ChunkedStream.Create(key, stream, expireAt);
            case ListValue l:
            {
                var items = l.Items().ToArray();
                return new ChunkedValue(key, expireAt, "list", 1, items.Length, items.Length, i => items[i], null);
            }
            case SetValue s when s.Table is { } table:
            {
                var snap = table.TakeSnapshot();
                return new ChunkedValue(key, expireAt, "dict", 1, s.Count, snap.Length, i => snap.IsUsed(i) ? snap.KeyAt(i) : null, null);
            }
            case SetValue s:
            {
                var members = s.Members().ToArray();
                return new ChunkedValue(key, expireAt, "dict", 1, members.Length, members.Length, i => members[i], null);
            }
            case HashValue h when h.Table is { } table:
            {
                var snap = table.TakeSnapshot();
                return new ChunkedValue(key, expireAt, "hash", 2, h.Count, snap.Length, null, i => snap.IsUsed(i) ? new Element(snap.KeyAt(i), snap.ValueAt(i), 0) : null);
            }
            case HashValue h:
            {
                var pairs = h.Entries().ToArray();
                return new ChunkedValue(key, expireAt, "hash", 2, pairs.Length, pairs.Length, null, i => new Element(pairs[i].Field, pairs[i].Value, 0));
            }
            case SortedSetValue z when z.IsListpack:
            {
                var entries = z.Entries().ToArray();
                return new ChunkedValue(key, expireAt, "zset", 2, entries.Length, entries.Length, null, i => new Element(entries[i].Member, null, entries[i].Score));
            }
            case SortedSetValue z:
            {
                var snap = z.Table.TakeSnapshot();
                return new ChunkedValue(key, expireAt, "zset", 2, z.Count, snap.Length, null, i => snap.IsUsed(i) ? new Element(snap.KeyAt(i), null, snap.ValueAt(i)) : null);
            }
            default:
                throw new ArgumentException("not a chunkable collection", nameof(value));
        }
    }

    private static readonly byte[] Command = "SLOTSRESTORE-ASYNC"u8.ToArray();

    /// <summary>
    /// The next message: a chunk of at most <paramref name="maxBulks"/> items and about <paramref name="maxBytes"/>,
    /// then the expire message; null once both are sent. A chunk is encoded straight into one buffer (no array per
    /// element), so streaming millions of elements makes little garbage.
    /// </summary>
    public byte[]? Next(long maxBulks, long maxBytes, long chunkTtl, long now)
    {
        if (expireSent) return null;
        var body = new ArrayBufferWriter<byte>(4096);
        Span<byte> raw = stackalloc byte[8];
        long bytes = 0;
        int items = 0;
        while (position < length && (items == 0 || (items + perElement <= maxBulks && bytes < maxBytes)))
        {
            int i = position++;
            if (single != null)
            {
                if (single(i) is not { } e) continue;
                Bulk(body, e);
                bytes += e.Length;
            }
            else
            {
                if (pair!(i) is not { } p) continue;
                Bulk(body, p.A);
                if (p.B is { } b)
                {
                    Bulk(body, b);
                    bytes += b.Length;
                }
                else
                {
                    // A zset score: 8 raw bytes, IEEE-754 double, little-endian.
                    BinaryPrimitives.WriteInt64LittleEndian(raw, BitConverter.DoubleToInt64Bits(p.Score));
                    Bulk(body, raw);
                    bytes += 8;
                }
                bytes += p.A.Length;
            }
            items += perElement;
        }
        if (items > 0)
        {
            ChunksSent++;
            var head = new ArrayBufferWriter<byte>(128);
            Header(head, 5 + items);
            Bulk(head, Command);
            Bulk(head, System.Text.Encoding.ASCII.GetBytes(sub));
            Bulk(head, Key);
            Bulk(head, SlotCommands.Number(chunkTtl));
            Bulk(head, SlotCommands.Number(Hint));
            var message = new byte[head.WrittenCount + body.WrittenCount];
            head.WrittenSpan.CopyTo(message);
            body.WrittenSpan.CopyTo(message.AsSpan(head.WrittenCount));
            return message;
        }
        expireSent = true;
        long ttl = ExpireAt == 0 ? 0 : Math.Max(1, ExpireAt - now);
        return RespValue.EncodeCommand([Command, "expire"u8.ToArray(), Key, SlotCommands.Number(ttl)]);
    }

    internal static void Header(ArrayBufferWriter<byte> w, int count)
    {
        var span = w.GetSpan(16);
        span[0] = (byte)'*';
        Utf8Formatter.TryFormat(count, span[1..], out int n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        w.Advance(3 + n);
    }

    internal static void Bulk(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> value)
    {
        var span = w.GetSpan(value.Length + 16);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out int n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        value.CopyTo(span[(3 + n)..]);
        span[3 + n + value.Length] = (byte)'\r';
        span[4 + n + value.Length] = (byte)'\n';
        w.Advance(5 + n + value.Length);
    }
}
