using System.Collections.Concurrent;
using System.Text;
using Codis.Core.Models;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Backends;
using Codis.Proxy.PubSub;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// Commands over the whole keyspace, served across every group (docs/proxy-keyspace.md): SCAN with a cursor
/// that carries the slot, the group and the position in that group's table; KEYS as a bounded SCAN; DBSIZE
/// summed over the masters' per-slot counts; FLUSHDB/FLUSHALL on every master when enabled; RANDOMKEY.
/// </summary>
internal sealed partial class ProxySession
{
    /// <summary>Backends known to speak codis-server's slot-ordered SCAN cursor.</summary>
    private static readonly ConcurrentDictionary<string, bool> codisBackends = new(StringComparer.Ordinal);

    private ValueTask? DispatchKeyspace(RespRequest req, Batch batch, OpInfo? op)
    {
        if (op?.Special is not (OpSpecial.Scan or OpSpecial.Keys or OpSpecial.DbSize or OpSpecial.Flush or OpSpecial.RandomKey)) return null;
        if (!Authenticated)
        {
            Answer(batch, op, Replies.Error("NOAUTH Authentication required."));
            return ValueTask.CompletedTask;
        }
        int db = Database;
        switch (op.Special)
        {
            case OpSpecial.Scan:
                if (!TryParseScan(req, out var cursor, out var options, out var error))
                {
                    Answer(batch, op, Replies.Error(error!));
                    break;
                }
                Reply(batch, op, async () =>
                {
                    var (next, keys) = await ScanStepAsync(cursor, options, db).ConfigureAwait(false);
                    var items = new List<byte[]>(2) { Replies.Bulk(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), JoinArray(keys.Select(k => Replies.Bulk(k)).ToList()) };
                    return JoinArray(items);
                });
                break;
            case OpSpecial.Keys:
                if (req.Count != 2)
                {
                    Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'keys' command"));
                    break;
                }
                var pattern = req.ToArray(1);
                Reply(batch, op, () => KeysAsync(pattern, db));
                break;
            case OpSpecial.DbSize:
                if (req.Count != 1)
                {
                    Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'dbsize' command"));
                    break;
                }
                Reply(batch, op, () => DbSizeAsync(db));
                break;
            case OpSpecial.Flush:
                Flush(req, batch, op, db);
                break;
            default:
                if (req.Count != 1)
                {
                    Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'randomkey' command"));
                    break;
                }
                Reply(batch, op, () => RandomKeyAsync(db));
                break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A reply computed by an async job (several backend round trips), in order with the batch.</summary>
    private void Reply(Batch batch, OpInfo op, Func<Task<byte[]>> work)
    {
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        _ = Task.Run(async () =>
        {
            byte[] reply;
            try
            {
                reply = await work().ConfigureAwait(false);
            }
            catch (KeyspaceException e)
            {
                reply = Replies.Error(e.Message);
            }
            catch (Exception e)
            {
                reply = Replies.Error("ERR handle request, " + e.Message);
            }
            p.Complete(reply);
        });
    }

    private sealed class KeyspaceException(string message) : Exception(message);

    private sealed record ScanOptions(long Count, byte[]? Match, byte[]? Type);

    private static bool TryParseScan(RespRequest req, out ulong cursor, out ScanOptions options, out string? error)
    {
        options = new ScanOptions(10, null, null);
        error = null;
        cursor = 0;
        if (req.Count < 2)
        {
            error = "ERR wrong number of arguments for 'scan' command";
            return false;
        }
        if (!ulong.TryParse(req[1], System.Globalization.NumberStyles.None, null, out cursor))
        {
            error = "ERR invalid cursor";
            return false;
        }
        for (int i = 2; i < req.Count; i++)
        {
            if (i + 1 >= req.Count)
            {
                error = "ERR syntax error";
                return false;
            }
            if (Ascii.EqualsIgnoreCase(req[i], "COUNT"))
            {
                if (!RespRequestParser.TryParseInteger(req[i + 1], out long n))
                {
                    error = "ERR value is not an integer or out of range";
                    return false;
                }
                if (n < 1)
                {
                    error = "ERR syntax error";
                    return false;
                }
                options = options with { Count = n };
            }
            else if (Ascii.EqualsIgnoreCase(req[i], "MATCH")) options = options with { Match = req.ToArray(i + 1) };
            else if (Ascii.EqualsIgnoreCase(req[i], "TYPE")) options = options with { Type = req.ToArray(i + 1) };
            else
            {
                error = "ERR syntax error";
                return false;
            }
            i++;
        }
        return true;
    }

    /// <summary>
    /// One step of the cluster scan: one codis-server SCAN on the table the cursor points into. That SCAN walks
    /// on through the following slots; their keys are kept for every slot the same backend alone serves, up to
    /// the first slot served otherwise (which the next step starts at). A slot whose routing changed while the
    /// SCAN ran is not trusted: the next step scans it again from its start.
    /// </summary>
    private async Task<(ulong Next, List<byte[]> Keys)> ScanStepAsync(ulong raw, ScanOptions options, int db)
    {
        var cursor = ScanCursor.Decode(raw);
        var snap = new SlotModel[SlotHash.SlotCount];
        var epochs = proxy.ScanEpochs;
        // Epochs first: a fill between the two reads shows as a changed epoch (a rescan), never the reverse.
        var epoch = new int[SlotHash.SlotCount];
        for (int i = 0; i < snap.Length; i++) epoch[i] = epochs.Of(i);
        for (int i = 0; i < snap.Length; i++) snap[i] = proxy.Router.Slot(i);
        int s = cursor.Slot;
        var phases = ScanCursor.Phases(snap[s]) ?? throw new KeyspaceException($"ERR handle request, slot {s} is not ready, may be offline: SCAN cannot go on");
        int phase = cursor.Epoch == epoch[s] ? Array.FindIndex(phases, p => p.Tag == cursor.Tag) : -1;
        long index = cursor.Index;
        if (phase < 0)
        {
            phase = 0;
            index = 0;
        }
        var (addr, tag) = phases[phase];
        await EnsureCodisServerAsync(addr, db).ConfigureAwait(false);

        var args = new List<byte[]>
        {
            "SCAN"u8.ToArray(),
            Encoding.ASCII.GetBytes((((ulong)index << 10) | (uint)s).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "COUNT"u8.ToArray(), Encoding.ASCII.GetBytes(options.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (options.Match != null) args.AddRange(["MATCH"u8.ToArray(), options.Match]);
        if (options.Type != null) args.AddRange(["TYPE"u8.ToArray(), options.Type]);
        var reply = await SendToAsync(addr, RespValue.EncodeCommand(args), db).ConfigureAwait(false);
        if (!RespValue.TryParse(reply, out var value, out _) || value.IsError || value.Items is not [{ Bytes: { } nextText }, { Items: { } keyItems }]
            || !ulong.TryParse(nextText, out ulong serverNext))
            throw new KeyspaceException(value.IsError ? value.Text! : $"ERR handle response, bad SCAN reply from {addr}");

        // Where the backend stopped: (index j in slot y), or past the last slot.
        int y = serverNext == 0 ? SlotHash.SlotCount : (int)(serverNext & SlotHash.SlotMask);
        long j = (long)(serverNext >> 10);
        var accepted = new List<int> { s };
        ScanCursor? next;
        if (serverNext != 0 && y == s) next = new ScanCursor(s, tag, epoch[s], j);
        else if (phase + 1 < phases.Length) next = new ScanCursor(s, phases[phase + 1].Tag, epoch[s], 0);
        else
        {
            next = null;
            for (int z = s + 1; z < SlotHash.SlotCount; z++)
            {
                var pz = ScanCursor.Phases(snap[z]);
                if (pz is not [var only] || only.Address != addr)
                {
                    next = ScanCursor.StartOf(z);
                    break;
                }
                accepted.Add(z);
                if (z == y)
                {
                    next = new ScanCursor(z, only.Tag, epoch[z], j);
                    break;
                }
            }
        }
        // A fill that landed while the SCAN ran may have let keys move before it read them: redo from there.
        foreach (int z in accepted)
        {
            if (ReferenceEquals(proxy.Router.Slot(z), snap[z])) continue;
            int cut = accepted.IndexOf(z);
            accepted.RemoveRange(cut, accepted.Count - cut);
            next = ScanCursor.StartOf(z);
            break;
        }
        var keep = new HashSet<int>(accepted);
        var keys = new List<byte[]>(keyItems.Length);
        foreach (var k in keyItems)
            if (k.Bytes is { } key && keep.Contains(SlotHash.Slot(key))) keys.Add(key);
        return (next?.Encode() ?? 0, keys);
    }

    /// <summary>The cluster scan needs codis-server's SCAN cursor ((index &lt;&lt; 10) | slot); a stock Redis is refused clearly.</summary>
    private async Task EnsureCodisServerAsync(string addr, int db)
    {
        if (codisBackends.ContainsKey(addr)) return;
        var probe = await SendToAsync(addr, "*1\r\n$12\r\nSLOTSHASHKEY\r\n"u8.ToArray(), db).ConfigureAwait(false);
        if (Replies.IsError(probe))
        {
            var text = Replies.ErrorText(probe);
            if (text.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
                throw new KeyspaceException($"ERR handle request, SCAN/KEYS through codis-proxy need codis-server backends: {addr} does not know SLOTSHASHKEY (a stock redis-server's SCAN cursor does not follow slots)");
            throw new KeyspaceException("ERR handle response, " + text);
        }
        codisBackends[addr] = true;
    }

    private async Task<byte[]> KeysAsync(byte[] pattern, int db)
    {
        long limit = proxy.Settings["proxy_max_keys_reply"].AsLong;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<byte[]>();
        var options = new ScanOptions(1000, pattern.Length == 1 && pattern[0] == (byte)'*' ? null : pattern, null);
        ulong cursor = 0;
        do
        {
            var (next, found) = await ScanStepAsync(cursor, options, db).ConfigureAwait(false);
            foreach (var k in found)
            {
                // A slot scanned again after a migration step repeats keys: KEYS answers each once.
                if (!seen.Add(Encoding.Latin1.GetString(k))) continue;
                keys.Add(Replies.Bulk(k));
                if (keys.Count > limit)
                    throw new KeyspaceException($"ERR KEYS would return more than proxy_max_keys_reply = {limit} keys: use SCAN, a narrower pattern, or raise proxy_max_keys_reply");
            }
            cursor = next;
        } while (cursor != 0 && !Closing.IsCancellationRequested);
        return JoinArray(keys);
    }

    /// <summary>
    /// Each master's SLOTSINFO, counting only the slots it serves (a migrating slot's keys are on its source or its
    /// target, so both count); a backend without SLOTSINFO (stock redis-server, whose slots never move) gives DBSIZE.
    /// </summary>
    private async Task<byte[]> DbSizeAsync(int db)
    {
        var snap = proxy.Router.Slots.ToArray();
        var masters = SessionPubSub.Masters(proxy.Router);
        if (masters.Count == 0) throw new KeyspaceException("ERR handle request, no group serves any slot");
        var counts = await Task.WhenAll(masters.Select(async addr =>
        {
            var reply = await SendToAsync(addr, "*1\r\n$9\r\nSLOTSINFO\r\n"u8.ToArray(), db).ConfigureAwait(false);
            RespValue.TryParse(reply, out var v, out _);
            if (v.IsError)
            {
                if (!v.Text!.Contains("unknown command", StringComparison.OrdinalIgnoreCase)) throw new KeyspaceException(v.Text);
                var size = await SendToAsync(addr, "*1\r\n$6\r\nDBSIZE\r\n"u8.ToArray(), db).ConfigureAwait(false);
                RespValue.TryParse(size, out var sv, out _);
                if (sv.IsError) throw new KeyspaceException(sv.Text!);
                return sv.Integer;
            }
            long sum = 0;
            foreach (var e in v.Items ?? [])
            {
                if (e.Items is not [var slot, var n] || slot.Integer < 0 || slot.Integer >= SlotHash.SlotCount) continue;
                var m = snap[(int)slot.Integer];
                if (m.BackendAddr == addr || m.MigrateFrom == addr) sum += n.Integer;
            }
            return sum;
        })).ConfigureAwait(false);
        return Replies.Integer(counts.Sum());
    }

    private void Flush(RespRequest req, Batch batch, OpInfo op, int db)
    {
        if (!proxy.Settings["proxy_allow_flush"].AsBool)
        {
            Answer(batch, op, Replies.Error($"ERR handle request, command '{op.Name}' is not allowed: it empties every group; set proxy_allow_flush = true in the proxy's config to enable it"));
            return;
        }
        if (req.Count > 2 || (req.Count == 2 && !Ascii.EqualsIgnoreCase(req[1], "ASYNC") && !Ascii.EqualsIgnoreCase(req[1], "SYNC")))
        {
            Answer(batch, op, Replies.Error("ERR syntax error"));
            return;
        }
        var wire = (req.IsMultibulk ? req.Raw : Encode(req)).ToArray();
        FanOut(batch, op, SessionPubSub.Masters(proxy.Router).Select(a => (a, wire)).ToList(), m =>
        {
            foreach (var c in m.Children) if (Replies.IsError(c.Reply!)) return c.Reply!;
            return Replies.Ok;
        });
    }

    private async Task<byte[]> RandomKeyAsync(int db)
    {
        var masters = SessionPubSub.Masters(proxy.Router);
        int start = masters.Count == 0 ? 0 : Random.Shared.Next(masters.Count);
        for (int i = 0; i < masters.Count; i++)
        {
            var reply = await SendToAsync(masters[(start + i) % masters.Count], "*1\r\n$9\r\nRANDOMKEY\r\n"u8.ToArray(), db).ConfigureAwait(false);
            if (Replies.IsError(reply) || !reply.AsSpan().SequenceEqual(Replies.NullBulk)) return reply;
        }
        return Replies.NullBulk;
    }

    /// <summary>One request to one backend address, outside the batch (for commands that need several round trips).</summary>
    private Task<byte[]> SendToAsync(string addr, byte[] wire, int db)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = new PendingRequest(null) { Continuation = r => done.TrySetResult(r.Reply!) };
        var mine = new HashSet<BackendConnection>();
        if (!proxy.Router.SendTo(addr, p, wire, db, mine)) return Task.FromResult(Replies.Error($"ERR backend server '{addr}' not found"));
        foreach (var c in mine) c.Flush();
        return done.Task;
    }
}
