using System.Buffers;
using System.Buffers.Binary;
using Codis.Core.Resp;
using Codis.Server.Persistence;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Slots;

/// <summary>
/// A big stream on its way to the target in chunks (our extension: the original Codis has no streams; docs/slots.md):
/// <code>
/// SLOTSRESTORE-ASYNC stream           key ttl hint [master-id listpack]...   whole nodes, as RDB holds them
/// SLOTSRESTORE-ASYNC stream-group     key ttl group last-id entries-read     one per group
/// SLOTSRESTORE-ASYNC stream-consumers key ttl group [name seen-time]...
/// SLOTSRESTORE-ASYNC stream-pel       key ttl group [id consumer delivery-time delivery-count]...
/// SLOTSRESTORE-ASYNC stream-meta      key ttl length last-id first-id max-deleted-id entries-added
/// SLOTSRESTORE-ASYNC expire           key ttl
/// </code>
/// Each chunk carries the temporary TTL (3×timeout), so a half-built copy of a dead migration expires. Nodes travel
/// whole (their deleted entries and boundaries included), so the target's DUMP is the source's byte for byte.
/// <para>
/// The snapshot taken under the lock when the batch starts copies only the node objects (their buffers are shared
/// copy-on-write with the live stream) and flattens the groups' consumers and PELs into arrays; the listpacks are
/// encoded as the link drains. Writes to the live stream later reach the target as forwarded commands behind the
/// last message (<see cref="AsyncMigration"/>).
/// </para>
/// </summary>
internal sealed class ChunkedStream : IChunkedMessages
{
    private readonly record struct Consumer(byte[] Name, long SeenTime);
    private readonly record struct Pending(StreamId Id, byte[] Consumer, long DeliveryTime, ulong DeliveryCount);
    private sealed record Group(byte[] Name, StreamId LastId, long EntriesRead, Consumer[] Consumers, Pending[] Pel);

    private readonly StreamNode[] nodes;
    private readonly Group[] groups;
    private readonly long length;
    private readonly StreamId lastId, firstId, maxDeletedId;
    private readonly ulong entriesAdded;

    private enum Stage { Nodes, GroupHeader, Consumers, Pel, Meta, Expire, Done }
    private Stage stage;
    private int node, group, item;

    public byte[] Key { get; }

    /// <summary>The key's deadline when the batch started (unix ms, 0 = none).</summary>
    public long ExpireAt { get; }

    // Runs once per stream, under the lock, over every node and pending entry: compiled optimized at once rather than
    // first as unoptimized code (the first migration after a start would otherwise hold the lock several times longer).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ChunkedStream(byte[] key, long expireAt, StreamValue s)
    {
        Key = key;
        ExpireAt = expireAt;
        nodes = new StreamNode[s.NodeCount];
        for (int i = 0; i < nodes.Length; i++) nodes[i] = s.Node(i).Copy();
        length = s.Length;
        lastId = s.LastId;
        firstId = s.FirstId;
        maxDeletedId = s.MaxDeletedId;
        entriesAdded = s.EntriesAdded;
        groups = new Group[s.GroupCount];
        int g = 0;
        if (s.Groups != null)
            foreach (var sg in s.Groups.Values)
            {
                var consumers = new Consumer[sg.Consumers.Count];
                int c = 0;
                foreach (var sc in sg.Consumers.Values) consumers[c++] = new Consumer(sc.Name, sc.SeenTime);
                var pel = new Pending[sg.Pending.Count];
                int n = 0;
                // As DUMP: an entry no consumer owns is not kept.
                foreach (var p in sg.Pending)
                    if (p.Consumer != null) pel[n++] = new Pending(p.Id, p.Consumer.Name, p.DeliveryTime, p.DeliveryCount);
                if (n < pel.Length) Array.Resize(ref pel, n);
                groups[g++] = new Group(sg.Name, sg.LastId, sg.EntriesRead, consumers, pel);
            }
    }

    /// <summary>What a stream counts against maxbulks: its entries, and its groups' consumers and pending entries.</summary>
    public static long Items(StreamValue s)
    {
        long n = s.Length;
        if (s.Groups != null)
            foreach (var g in s.Groups.Values) n += g.Pending.Count + g.Consumers.Count;
        return n;
    }

    /// <summary>Snapshots a stream (under the lock): its node objects (buffers shared) and its groups flattened.</summary>
    public static ChunkedStream Create(byte[] key, StreamValue s, long expireAt) => new(key, expireAt, s);

    private static readonly byte[] Command = "SLOTSRESTORE-ASYNC"u8.ToArray();

    public byte[]? Next(long maxBulks, long maxBytes, long chunkTtl, long now)
    {
        while (true)
        {
            switch (stage)
            {
                case Stage.Nodes:
                {
                    var m = NodesChunk(maxBulks, maxBytes, chunkTtl);
                    if (node == nodes.Length) stage = groups.Length > 0 ? Stage.GroupHeader : Stage.Meta;
                    return m;
                }
                case Stage.GroupHeader:
                {
                    var g = groups[group];
                    stage = Stage.Consumers;
                    item = 0;
                    return Message("stream-group", chunkTtl, 3, w =>
                    {
                        ChunkedValue.Bulk(w, g.Name);
                        ChunkedValue.Bulk(w, g.LastId.ToBytes());
                        ChunkedValue.Bulk(w, SlotCommands.Number(g.EntriesRead));
                    });
                }
                case Stage.Consumers:
                {
                    var g = groups[group];
                    if (item >= g.Consumers.Length)
                    {
                        stage = Stage.Pel;
                        item = 0;
                        continue;
                    }
                    int n = (int)Math.Min(g.Consumers.Length - item, Math.Max(1, maxBulks / 2));
                    int from = item;
                    item += n;
                    return Message("stream-consumers", chunkTtl, 1 + 2 * n, w =>
                    {
                        ChunkedValue.Bulk(w, g.Name);
                        for (int i = from; i < from + n; i++)
                        {
                            ChunkedValue.Bulk(w, g.Consumers[i].Name);
                            ChunkedValue.Bulk(w, SlotCommands.Number(g.Consumers[i].SeenTime));
                        }
                    });
                }
                case Stage.Pel:
                {
                    var g = groups[group];
                    if (item >= g.Pel.Length)
                    {
                        group++;
                        stage = group < groups.Length ? Stage.GroupHeader : Stage.Meta;
                        continue;
                    }
                    int n = (int)Math.Min(g.Pel.Length - item, Math.Max(1, maxBulks / 4));
                    int from = item;
                    item += n;
                    return Message("stream-pel", chunkTtl, 1 + 4 * n, w =>
                    {
                        ChunkedValue.Bulk(w, g.Name);
                        Span<byte> id = stackalloc byte[41];
                        for (int i = from; i < from + n; i++)
                        {
                            var p = g.Pel[i];
                            ChunkedValue.Bulk(w, id[..p.Id.Format(id)]);
                            ChunkedValue.Bulk(w, p.Consumer);
                            ChunkedValue.Bulk(w, SlotCommands.Number(p.DeliveryTime));
                            ChunkedValue.Bulk(w, SlotCommands.Number(unchecked((long)p.DeliveryCount)));
                        }
                    });
                }
                case Stage.Meta:
                    stage = Stage.Expire;
                    return Message("stream-meta", chunkTtl, 5, w =>
                    {
                        ChunkedValue.Bulk(w, SlotCommands.Number(length));
                        ChunkedValue.Bulk(w, lastId.ToBytes());
                        ChunkedValue.Bulk(w, firstId.ToBytes());
                        ChunkedValue.Bulk(w, maxDeletedId.ToBytes());
                        ChunkedValue.Bulk(w, System.Text.Encoding.ASCII.GetBytes(entriesAdded.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    });
                case Stage.Expire:
                {
                    stage = Stage.Done;
                    long ttl = ExpireAt == 0 ? 0 : Math.Max(1, ExpireAt - now);
                    return RespValue.EncodeCommand([Command, "expire"u8.ToArray(), Key, SlotCommands.Number(ttl)]);
                }
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// Whole nodes (at least one; none only for a stream without entries, whose first message still creates the key)
    /// while their entries, deleted ones included, stay within maxbulks and their listpacks within maxbytes.
    /// </summary>
    private byte[] NodesChunk(long maxBulks, long maxBytes, long chunkTtl)
    {
        var body = new ArrayBufferWriter<byte>(8192);
        Span<byte> master = stackalloc byte[16];
        long entries = 0, bytes = 0;
        int count = 0;
        while (node < nodes.Length)
        {
            var n = nodes[node];
            int size = n.Live + n.Deleted;
            if (count > 0 && (entries + size > maxBulks || bytes >= maxBytes)) break;
            var lp = StreamRdb.ToListpack(n);
            BinaryPrimitives.WriteUInt64BigEndian(master, n.MasterId.Ms);
            BinaryPrimitives.WriteUInt64BigEndian(master[8..], n.MasterId.Seq);
            ChunkedValue.Bulk(body, master);
            ChunkedValue.Bulk(body, lp);
            entries += size;
            bytes += lp.Length;
            count++;
            nodes[node++] = null!; // sent: its buffer may go once the live stream no longer shares it
        }
        return Assemble("stream", chunkTtl, 1 + 2 * count, body, SlotCommands.Number(length));
    }

    private byte[] Message(string sub, long chunkTtl, int items, Action<ArrayBufferWriter<byte>> write)
    {
        var body = new ArrayBufferWriter<byte>(256);
        write(body);
        return Assemble(sub, chunkTtl, items, body, null);
    }

    /// <summary>The header (command, sub-command, key, ttl, and the hint of a nodes chunk) then the body's items.</summary>
    private byte[] Assemble(string sub, long chunkTtl, int items, ArrayBufferWriter<byte> body, byte[]? hint)
    {
        var head = new ArrayBufferWriter<byte>(128);
        ChunkedValue.Header(head, 4 + items); // a nodes chunk counts its hint among its items
        ChunkedValue.Bulk(head, Command);
        ChunkedValue.Bulk(head, System.Text.Encoding.ASCII.GetBytes(sub));
        ChunkedValue.Bulk(head, Key);
        ChunkedValue.Bulk(head, SlotCommands.Number(chunkTtl));
        if (hint != null) ChunkedValue.Bulk(head, hint);
        var message = new byte[head.WrittenCount + body.WrittenCount];
        head.WrittenSpan.CopyTo(message);
        body.WrittenSpan.CopyTo(message.AsSpan(head.WrittenCount));
        return message;
    }
}
