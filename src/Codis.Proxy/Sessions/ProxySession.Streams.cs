using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Backends;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// XREAD and XREADGROUP through the proxy (docs/proxy.md, "Stream reads"). The keys are the first half of the
/// arguments after STREAMS. With BLOCK every key must hash to one slot, and the read runs like the blocking pops:
/// over the pinned connection in slices, XREAD's "$" first resolved to each stream's last-generated ID so that
/// nothing added between two slices is missed. Without BLOCK a read of one slot is routed like any command,
/// and an XREAD over several slots is split by slot and merged back in key order (nil when no stream had
/// entries). XREADGROUP moves entries into the group's pending list: a write, always on the master, one slot.
/// </summary>
internal sealed partial class ProxySession
{
    private ValueTask StreamRead(RespRequest req, Batch batch, OpInfo op)
    {
        int streams = KeyPositions.StreamsIndex(req);
        // No STREAMS, odd key/ID count, a bad option: any master says what is wrong, in its own words.
        if (streams < 0 || !KeyPositions.Find(req, keyIndexes)) return ForwardKeyless(req, batch, op);
        int block = BlockIndex(req, streams);
        if (block > 0) return RunPinned(req, batch, op, new Wait(block + 1, Millis: true));
        if (SlotOf(req, keyIndexes) >= 0) return ForwardByKey(req, batch, op, keyIndexes[0]);
        // XREADGROUP over several slots: a part that fails (NOGROUP) after another delivered entries into its
        // group's pending list would hide them behind the error, where Redis checks every group before it
        // delivers anything. Refused instead; XREAD has no side effect, so it is split.
        if (op.IsWrite)
        {
            Answer(batch, op, Replies.Error(CrossSlot));
            return ValueTask.CompletedTask;
        }
        return SplitStreamRead(req, batch, op, streams);
    }

    /// <summary>The index of BLOCK among the options before STREAMS, or -1.</summary>
    private static int BlockIndex(RespRequest req, int streams)
    {
        for (int i = 1; i < streams; i++)
            if (Ascii.EqualsIgnoreCase(req[i], "BLOCK") && i + 1 < streams) return i;
        return -1;
    }

    /// <summary>Whether a request (as the pinned path keeps it) is XREAD or XREADGROUP.</summary>
    private static bool IsStreamRead(byte[][] args) =>
        Ascii.EqualsIgnoreCase(args[0], "XREAD") || Ascii.EqualsIgnoreCase(args[0], "XREADGROUP");

    /// <summary>
    /// Non-blocking XREAD over several slots: one read per slot (slots of one backend share it), each
    /// with the request's options and its own keys and IDs; the streams that returned entries come back in the
    /// client's key order. No atomicity across slots, as for MGET.
    /// </summary>
    private ValueTask SplitStreamRead(RespRequest req, Batch batch, OpInfo op, int streams)
    {
        int half = (req.Count - streams - 1) / 2;
        var keys = new List<int>(half);
        for (int i = 0; i < half; i++) keys.Add(streams + 1 + i);
        var parts = PlanStreamParts(req, keys, op.MasterOnly);
        var parent = new MultiRequest(batch, parts.Count, m =>
        {
            var found = new List<(int Position, byte[] Item)>();
            for (int g = 0; g < parts.Count; g++)
            {
                var reply = m.Children[g].Reply!;
                if (Replies.IsError(reply)) return reply;
                if (reply.AsSpan().SequenceEqual("*-1\r\n"u8)) continue;
                var items = SplitArray(reply);
                if (items == null) return Replies.Error($"ERR handle response, bad {op.Name} reply from backend");
                // Each item is [key, entries], in the part's key order: match them to the part's positions.
                int next = 0;
                foreach (var item in items)
                {
                    var pair = SplitArray(item);
                    if (pair is not { Count: 2 } || !RespValue.TryParse(pair[0], out var name, out _) || name.Bytes == null)
                        return Replies.Error($"ERR handle response, bad {op.Name} reply from backend");
                    var positions = parts[g].Positions;
                    while (next < positions.Count && !req[positions[next]].SequenceEqual(name.Bytes)) next++;
                    if (next == positions.Count) return Replies.Error($"ERR handle response, bad {op.Name} reply from backend");
                    found.Add((positions[next++], item));
                }
            }
            if (found.Count == 0) return Replies.NullArray;
            found.Sort((a, b) => a.Position.CompareTo(b.Position));
            var header = Encoding.ASCII.GetBytes($"*{found.Count}\r\n");
            var result = new byte[header.Length + found.Sum(f => f.Item.Length)];
            header.CopyTo(result, 0);
            int pos = header.Length;
            foreach (var (_, item) in found)
            {
                item.CopyTo(result, pos);
                pos += item.Length;
            }
            return result;
        }) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() };
        Track(parent, batch);
        bool masterOnly = SplitToMaster(op, parts);
        List<Task>? waits = null;
        for (int g = 0; g < parts.Count; g++)
        {
            var part = parts[g];
            var args = new List<byte[]>(streams + 1 + part.Positions.Count * 2);
            for (int i = 0; i <= streams; i++) args.Add(req.ToArray(i));
            foreach (int k in part.Positions) args.Add(req.ToArray(k));
            foreach (int k in part.Positions) args.Add(req.ToArray(k + half));
            var wire = RespValue.EncodeCommand(args);
            var firstKey = req.Memory(part.Positions[0]).ToArray();
            var child = new PendingRequest(null) { Parent = parent, Index = g, Op = op };
            parent.Children[g] = child;
            if (part.Held != null)
            {
                proxy.Router.ForwardHeld(child, part.Held, wire, firstKey, Database, masterOnly, seed, touched);
                continue;
            }
            var t = proxy.Router.ForwardAsync(child, part.Slots[0], wire, firstKey, Database, masterOnly, seed, touched);
            if (!t.IsCompletedSuccessfully) (waits ??= new()).Add(t.AsTask());
        }
        return waits == null ? ValueTask.CompletedTask : new ValueTask(Task.WhenAll(waits));
    }

    /// <summary>The stream keys grouped by slot, then by backend (as <see cref="PlanParts"/> does for MGET).</summary>
    private List<Part> PlanStreamParts(RespRequest req, List<int> keys, bool masterOnly)
    {
        var bySlot = new List<Part>();
        var index = new Dictionary<int, int>();
        foreach (int k in keys)
        {
            int slot = SlotHash.Slot(req[k]);
            if (!index.TryGetValue(slot, out int g))
            {
                index[slot] = g = bySlot.Count;
                var part = new Part();
                part.Slots.Add(slot);
                bySlot.Add(part);
            }
            bySlot[g].Positions.Add(k);
        }
        return MergeByBackend(bySlot, masterOnly);
    }

    /// <summary>
    /// XREAD BLOCK … "$": each "$" becomes the stream's last-generated ID now (XINFO STREAM on the server the read
    /// blocks on); a stream that does not exist yet reads from 0-0, which is what "$" means to Redis for a missing
    /// key (any entry added later is new). A key of another type keeps its "$", and the read answers WRONGTYPE.
    /// </summary>
    private static async Task<byte[]?> ResolveLastIdsAsync(PinnedConnection conn, byte[][] args)
    {
        if (!Ascii.EqualsIgnoreCase(args[0], "XREAD")) return null;
        int streams = KeyPositions.StreamsIndex(RespRequest.FromArgs(args));
        if (streams < 0) return null;
        int half = (args.Length - streams - 1) / 2;
        for (int i = 0; i < half; i++)
        {
            int idArg = streams + 1 + half + i;
            if (!args[idArg].AsSpan().SequenceEqual("$"u8)) continue;
            var reply = await conn.RequestAsync(RespValue.EncodeCommand(["XINFO"u8.ToArray(), "STREAM"u8.ToArray(), args[streams + 1 + i]])).ConfigureAwait(false);
            if (Replies.IsError(reply))
            {
                string error = Replies.ErrorText(reply);
                if (error.StartsWith("ERR no such key", StringComparison.Ordinal)) args[idArg] = "0-0"u8.ToArray();
                else if (!error.StartsWith("WRONGTYPE", StringComparison.Ordinal)) return reply; // the connection failed
                continue;
            }
            if (!RespValue.TryParse(reply, out var info, out _) || info.Items is not { } fields)
                return Replies.Error("ERR handle response, bad XINFO STREAM reply from backend");
            for (int f = 0; f + 1 < fields.Length; f += 2)
                if (fields[f].Text == "last-generated-id" && fields[f + 1].Bytes is { } id)
                    args[idArg] = id;
        }
        return null;
    }

    /// <summary>
    /// A blocking stream read in a slot migrating semi-async: waits until the old owner has none of its keys
    /// (each is moved whole, with its groups), so the read then blocks on the new owner where every XADD goes.
    /// Null, or the error to answer.
    /// </summary>
    private async Task<string?> StreamsLeftOldOwnerAsync(Core.Models.SlotModel m, byte[][] args, int slot)
    {
        var (source, failure) = await OpenPinnedAsync(m.MigrateFrom).ConfigureAwait(false);
        if (source == null) return failure;
        using (source)
        {
            foreach (int k in KeyIndexes(args))
            {
                var probe = RespValue.EncodeCommand(["SLOTSMGRT-EXEC-WRAPPER"u8.ToArray(), args[k], "TYPE"u8.ToArray(), args[k]]);
                for (int attempt = 0; ; attempt++)
                {
                    var reply = await source.RequestAsync(probe).ConfigureAwait(false);
                    if (!WrapperReply.TryParse(reply, out long code, out _))
                        return "ERR handle request, bad slotsmgrt-exec-wrapper resp: " + (Replies.IsError(reply) ? Replies.ErrorText(reply) : "unexpected reply");
                    if (code == 0) break;
                    if (attempt >= 3000 || blockCancelled)
                        return $"TRYAGAIN slot {slot} is migrating and a stream of this read is still on the old owner; retry";
                    await Task.Delay(10).ConfigureAwait(false);
                }
            }
        }
        return null;
    }
}
