using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// Multi-key commands: keys are grouped by slot; slots served by the same backend (not migrating, no fill in
/// progress) share one command of the same name, the others get one each; the replies are merged back in the
/// client's key order. No cross-slot atomicity (as the original); an error from any part makes the whole reply
/// that error.
/// </summary>
internal sealed partial class ProxySession
{
    /// <summary>One command sent for a multi-key request: the argument positions it carries and the slots they hash to.</summary>
    private sealed class Part
    {
        public readonly List<int> Slots = new(2);
        public readonly List<int> Positions = new();
        /// <summary>Set when the part's slots are already entered (a merged part), else the part enters its one slot.</summary>
        public SlotState[]? Held;
    }

    /// <summary>
    /// Groups argument positions (key, or key+value with <paramref name="stride"/> 2) by slot in first-seen order,
    /// then merges the slots that one backend serves. Merging needs every slot entered without waiting, so a
    /// fill that arrives meanwhile waits for the part; if any slot is held by a fill, nothing is merged.
    /// </summary>
    private List<Part> PlanParts(RespRequest req, int stride, bool masterOnly)
    {
        int keys = (req.Count - 1 + stride - 1) / stride;
        // Each key's group (its slot's index in first-seen order); a short list is searched, a long one hashed.
        var groupOf = new int[keys];
        var distinct = new List<int>(Math.Min(keys, 16));
        Dictionary<int, int>? index = keys > 16 ? new Dictionary<int, int>() : null;
        for (int k = 0; k < keys; k++)
        {
            int slot = SlotHash.Slot(req[1 + k * stride]);
            int g = -1;
            if (index != null) { if (!index.TryGetValue(slot, out g)) g = -1; }
            else
            {
                for (int j = 0; j < distinct.Count; j++)
                    if (distinct[j] == slot) { g = j; break; }
            }
            if (g < 0)
            {
                g = distinct.Count;
                distinct.Add(slot);
                index?.Add(slot, g);
            }
            groupOf[k] = g;
        }
        if (distinct.Count == 1) return PartPerSlot(distinct, groupOf, stride);

        var entered = new SlotState[distinct.Count];
        for (int g = 0; g < distinct.Count; g++)
        {
            var s = proxy.Router.TryEnter(distinct[g]);
            if (s == null)
            {
                for (int j = 0; j < g; j++) entered[j].Leave();
                return PartPerSlot(distinct, groupOf, stride);
            }
            entered[g] = s;
        }
        // Slots of one backend share a part (backends are few: a short list); the others get one each.
        var parts = new List<Part>();
        var partBackend = new List<string?>();
        var partOf = new int[distinct.Count];
        var heldCount = new List<int>();
        for (int g = 0; g < distinct.Count; g++)
        {
            var backend = proxy.Router.MergeableBackend(entered[g], masterOnly);
            int p = -1;
            if (backend != null)
            {
                for (int j = 0; j < parts.Count; j++)
                    if (partBackend[j] is { } b && string.Equals(b, backend, StringComparison.Ordinal)) { p = j; break; }
            }
            if (p < 0)
            {
                p = parts.Count;
                parts.Add(new Part());
                partBackend.Add(backend);
                heldCount.Add(0);
            }
            parts[p].Slots.Add(distinct[g]);
            heldCount[p]++;
            partOf[g] = p;
        }
        for (int p = 0; p < parts.Count; p++) parts[p].Held = new SlotState[heldCount[p]];
        var filled = new int[parts.Count];
        for (int g = 0; g < distinct.Count; g++)
        {
            int p = partOf[g];
            parts[p].Held![filled[p]++] = entered[g];
        }
        for (int k = 0; k < keys; k++) parts[partOf[groupOf[k]]].Positions.Add(1 + k * stride);
        return parts;
    }

    /// <summary>One part per slot, each entering its slot when sent.</summary>
    private static List<Part> PartPerSlot(List<int> distinct, int[] groupOf, int stride)
    {
        var parts = new List<Part>(distinct.Count);
        foreach (int slot in distinct)
        {
            var part = new Part();
            part.Slots.Add(slot);
            parts.Add(part);
        }
        for (int k = 0; k < groupOf.Length; k++) parts[groupOf[k]].Positions.Add(1 + k * stride);
        return parts;
    }

    /// <summary>Parts of slots one backend serves become one part (stream reads; <see cref="PlanParts"/> does the same without a part per slot).</summary>
    private List<Part> MergeByBackend(List<Part> bySlot, bool masterOnly)
    {
        if (bySlot.Count == 1) return bySlot;

        var entered = new SlotState[bySlot.Count];
        for (int g = 0; g < bySlot.Count; g++)
        {
            var s = proxy.Router.TryEnter(bySlot[g].Slots[0]);
            if (s == null)
            {
                for (int j = 0; j < g; j++) entered[j].Leave();
                return bySlot;
            }
            entered[g] = s;
        }
        var merged = new List<Part>();
        var byBackend = new Dictionary<string, (Part Part, List<SlotState> Held)>(StringComparer.Ordinal);
        var singles = new List<(Part Part, SlotState Held)>();
        for (int g = 0; g < bySlot.Count; g++)
        {
            var backend = proxy.Router.MergeableBackend(entered[g], masterOnly);
            if (backend == null)
            {
                merged.Add(bySlot[g]);
                singles.Add((bySlot[g], entered[g]));
                continue;
            }
            if (!byBackend.TryGetValue(backend, out var target))
            {
                target = (new Part(), new List<SlotState>());
                byBackend[backend] = target;
                merged.Add(target.Part);
            }
            target.Part.Slots.AddRange(bySlot[g].Slots);
            target.Part.Positions.AddRange(bySlot[g].Positions);
            target.Held.Add(entered[g]);
        }
        foreach (var (part, held) in byBackend.Values) part.Held = held.ToArray();
        foreach (var (part, held) in singles) part.Held = [held];
        return merged;
    }

    private ValueTask SplitMGet(RespRequest req, Batch batch, OpInfo op)
    {
        var parts = PlanParts(req, 1, op.MasterOnly);
        int keys = req.Count - 1;
        var parent = new MultiRequest(batch, parts.Count, m =>
        {
            var elements = new byte[keys][];
            for (int g = 0; g < parts.Count; g++)
            {
                var reply = m.Children[g].Reply!;
                if (Replies.IsError(reply)) return reply;
                var items = SplitArray(reply);
                if (items == null || items.Count != parts[g].Positions.Count) return Replies.Error("ERR handle response, bad MGET reply from backend");
                for (int k = 0; k < items.Count; k++) elements[parts[g].Positions[k] - 1] = items[k];
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
        return SendParts(req, batch, parent, parts, 1, "MGET"u8);
    }

    private ValueTask SplitMSet(RespRequest req, Batch batch, OpInfo op)
    {
        if ((req.Count - 1) % 2 != 0)
        {
            Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'mset' command"));
            return ValueTask.CompletedTask;
        }
        var parts = PlanParts(req, 2, true);
        var parent = new MultiRequest(batch, parts.Count, m =>
        {
            foreach (var c in m.Children) if (Replies.IsError(c.Reply!)) return c.Reply!;
            return Replies.Ok;
        }) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() };
        return SendParts(req, batch, parent, parts, 2, "MSET"u8);
    }

    /// <summary>DEL, UNLINK, TOUCH, EXISTS: the reply is the sum of the parts' integers.</summary>
    private ValueTask SplitCount(RespRequest req, Batch batch, OpInfo op)
    {
        var parts = PlanParts(req, 1, op.MasterOnly);
        var parent = new MultiRequest(batch, parts.Count, m =>
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
        return SendParts(req, batch, parent, parts, 1, req[0]);
    }

    private ValueTask SendParts(RespRequest req, Batch batch, MultiRequest parent, List<Part> parts, int stride, ReadOnlySpan<byte> name)
    {
        Track(parent, batch);
        var nameBytes = name.ToArray();
        bool masterOnly = SplitToMaster(parent.Op, parts);
        List<Task>? waits = null;
        for (int g = 0; g < parts.Count; g++)
        {
            var part = parts[g];
            var (wire, firstKey) = EncodePart(req, nameBytes, part.Positions, stride);
            var child = new PendingRequest(null) { Parent = parent, Index = g, Op = parent.Op };
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

    /// <summary>
    /// Encodes NAME + the arguments at <paramref name="positions"/> (each with its stride-1 followers) as one
    /// RESP command in a single array, straight from the request's bytes; also returns the first key's bytes in it.
    /// </summary>
    private static (ReadOnlyMemory<byte> Wire, ReadOnlyMemory<byte> FirstKey) EncodePart(RespRequest req, byte[] name, List<int> positions, int stride)
    {
        int count = 1 + positions.Count * stride;
        int size = HeaderSize('*', count) + HeaderSize('$', name.Length) + name.Length + 2;
        foreach (int p in positions)
            for (int s = 0; s < stride; s++) size += HeaderSize('$', req[p + s].Length) + req[p + s].Length + 2;
        var buf = new byte[size];
        int pos = WriteHeader(buf, 0, '*', count);
        pos = WriteBulk(buf, pos, name);
        int keyStart = -1, keyLength = 0;
        foreach (int p in positions)
            for (int s = 0; s < stride; s++)
            {
                var arg = req[p + s];
                if (keyStart < 0)
                {
                    keyStart = pos + HeaderSize('$', arg.Length);
                    keyLength = arg.Length;
                }
                pos = WriteBulk(buf, pos, arg);
            }
        return (buf, buf.AsMemory(keyStart, keyLength));
    }

    private static int HeaderSize(char kind, int n) => 1 + Digits(n) + 2;

    private static int Digits(int n)
    {
        int d = 1;
        while (n >= 10) { n /= 10; d++; }
        return d;
    }

    private static int WriteHeader(byte[] buf, int pos, char kind, int n)
    {
        buf[pos++] = (byte)kind;
        System.Buffers.Text.Utf8Formatter.TryFormat(n, buf.AsSpan(pos), out int written);
        pos += written;
        buf[pos++] = (byte)'\r';
        buf[pos++] = (byte)'\n';
        return pos;
    }

    private static int WriteBulk(byte[] buf, int pos, ReadOnlySpan<byte> value)
    {
        pos = WriteHeader(buf, pos, '$', value.Length);
        value.CopyTo(buf.AsSpan(pos));
        pos += value.Length;
        buf[pos++] = (byte)'\r';
        buf[pos++] = (byte)'\n';
        return pos;
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
