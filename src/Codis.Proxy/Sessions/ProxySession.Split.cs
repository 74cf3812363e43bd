using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// Multi-key commands: keys are grouped by slot, each group is sent as one command of the same name to its
/// slot's owner, and the replies are merged back in the client's key order. No cross-slot atomicity (as the
/// original); an error from any part makes the whole reply that error.
/// </summary>
internal sealed partial class ProxySession
{
    /// <summary>Groups argument positions (key, or key+value with <paramref name="stride"/> 2) by slot, in first-seen order.</summary>
    private static List<(int Slot, List<int> Positions)> GroupBySlot(RespRequest req, int stride)
    {
        var groups = new List<(int, List<int>)>();
        var index = new Dictionary<int, int>();
        for (int i = 1; i < req.Count; i += stride)
        {
            int slot = SlotHash.Slot(req[i]);
            if (!index.TryGetValue(slot, out int g))
            {
                g = groups.Count;
                index[slot] = g;
                groups.Add((slot, new List<int>()));
            }
            groups[g].Item2.Add(i);
        }
        return groups;
    }

    private ValueTask SplitMGet(RespRequest req, Batch batch, OpInfo op)
    {
        var groups = GroupBySlot(req, 1);
        int keys = req.Count - 1;
        var parent = new MultiRequest(batch, groups.Count, m =>
        {
            var elements = new byte[keys][];
            for (int g = 0; g < groups.Count; g++)
            {
                var reply = m.Children[g].Reply!;
                if (Replies.IsError(reply)) return reply;
                var items = SplitArray(reply);
                if (items == null || items.Count != groups[g].Positions.Count) return Replies.Error("ERR handle response, bad MGET reply from backend");
                for (int k = 0; k < items.Count; k++) elements[groups[g].Positions[k] - 1] = items[k];
            }
            int total = elements.Sum(e => e.Length);
            var header = Encoding.ASCII.GetBytes($"*{keys}\r\n");
            var result = new byte[header.Length + total];
            header.CopyTo(result, 0);
            int pos = header.Length;
            foreach (var e in elements)
            {
                e.CopyTo(result, pos);
                pos += e.Length;
            }
            return result;
        }) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() };
        return SendParts(req, batch, parent, groups, 1, "MGET"u8);
    }

    private ValueTask SplitMSet(RespRequest req, Batch batch, OpInfo op)
    {
        if ((req.Count - 1) % 2 != 0)
        {
            Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'mset' command"));
            return ValueTask.CompletedTask;
        }
        var groups = GroupBySlot(req, 2);
        var parent = new MultiRequest(batch, groups.Count, m =>
        {
            foreach (var c in m.Children) if (Replies.IsError(c.Reply!)) return c.Reply!;
            return Replies.Ok;
        }) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() };
        return SendParts(req, batch, parent, groups, 2, "MSET"u8);
    }

    /// <summary>DEL, UNLINK, TOUCH, EXISTS: the reply is the sum of the parts' integers.</summary>
    private ValueTask SplitCount(RespRequest req, Batch batch, OpInfo op)
    {
        var groups = GroupBySlot(req, 1);
        var parent = new MultiRequest(batch, groups.Count, m =>
        {
            long sum = 0;
            foreach (var c in m.Children)
            {
                var r = c.Reply!;
                if (Replies.IsError(r)) return r;
                if (r.Length < 4 || r[0] != (byte)':' || !long.TryParse(Encoding.ASCII.GetString(r, 1, r.Length - 3), out long n))
                    return Replies.Error($"ERR handle response, bad {op.Name} reply from backend");
                sum += n;
            }
            return Replies.Integer(sum);
        }) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() };
        return SendParts(req, batch, parent, groups, 1, req[0]);
    }

    private ValueTask SendParts(RespRequest req, Batch batch, MultiRequest parent, List<(int Slot, List<int> Positions)> groups,
        int stride, ReadOnlySpan<byte> name)
    {
        Track(parent, batch);
        var nameBytes = name.ToArray();
        ValueTask last = ValueTask.CompletedTask;
        List<Task>? waits = null;
        for (int g = 0; g < groups.Count; g++)
        {
            var (slot, positions) = groups[g];
            var args = new List<byte[]>(1 + positions.Count * stride) { nameBytes };
            foreach (int p in positions)
                for (int s = 0; s < stride; s++) args.Add(req.ToArray(p + s));
            var wire = RespValue.EncodeCommand(args);
            var child = new PendingRequest(null) { Parent = parent, Index = g, Op = parent.Op };
            parent.Children[g] = child;
            var t = proxy.Router.ForwardAsync(child, slot, wire, args[1], Database, parent.Op?.MasterOnly ?? true, seed, touched);
            if (!t.IsCompletedSuccessfully) (waits ??= new()).Add(t.AsTask());
        }
        return waits == null ? last : new ValueTask(Task.WhenAll(waits));
    }

    /// <summary>The raw bytes of each element of an array reply.</summary>
    private static List<byte[]>? SplitArray(byte[] reply)
    {
        var span = reply.AsSpan();
        if (span.Length < 4 || span[0] != (byte)'*') return null;
        int nl = span.IndexOf("\r\n"u8);
        if (!int.TryParse(Encoding.ASCII.GetString(span[1..nl]), out int count) || count < 0) return null;
        var items = new List<byte[]>(count);
        int pos = nl + 2;
        for (int i = 0; i < count; i++)
        {
            int n = RespScanner.TryScan(span[pos..]);
            if (n == 0) return null;
            items.Add(span.Slice(pos, n).ToArray());
            pos += n;
        }
        return items;
    }
}
