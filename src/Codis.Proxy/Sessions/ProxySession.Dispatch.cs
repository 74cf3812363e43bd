using System.Security.Cryptography;
using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

internal sealed partial class ProxySession
{
    /// <summary>Classifies one request and answers, refuses, splits or forwards it.</summary>
    private ValueTask Dispatch(RespRequest req, Batch batch) => Dispatch(req, batch, OpTable.Find(req[0]));

    private ValueTask Dispatch(RespRequest req, Batch batch, OpInfo? op)
    {
        if (op is { NotAllowed: true })
        {
            Answer(batch, op, Replies.Error($"ERR handle request, command '{op.Name}' is not allowed: {op.RefusalReason}"));
            return ValueTask.CompletedTask;
        }
        if (op?.Special == OpSpecial.Quit)
        {
            Answer(batch, op, Replies.Ok);
            quit = true;
            return ValueTask.CompletedTask;
        }
        if (inMulti) return QueueInMulti(req, batch, op);
        // Pub/sub and the whole-keyspace commands (inside MULTI they are refused by QueueInMulti).
        if (DispatchPubSub(req, batch, op) is { } pubsubDone) return pubsubDone;
        if (DispatchKeyspace(req, batch, op) is { } keyspaceDone) return keyspaceDone;
        if (op?.Special == OpSpecial.Auth)
        {
            Answer(batch, op, Auth(req));
            return ValueTask.CompletedTask;
        }
        if (op?.Special == OpSpecial.Hello)
        {
            Answer(batch, op, Hello(req));
            return ValueTask.CompletedTask;
        }
        if (!Authenticated)
        {
            Answer(batch, op, Replies.Error("NOAUTH Authentication required."));
            return ValueTask.CompletedTask;
        }
        switch (op?.Special ?? OpSpecial.None)
        {
            case OpSpecial.Select: Answer(batch, op, Select(req)); return ValueTask.CompletedTask;
            case OpSpecial.Ping:
                Answer(batch, op, req.Count switch
                {
                    1 => Replies.Pong,
                    2 => Replies.Bulk(req[1]),
                    _ => Replies.Error("ERR wrong number of arguments for 'ping' command"),
                });
                return ValueTask.CompletedTask;
            case OpSpecial.Echo:
                Answer(batch, op, req.Count == 2 ? Replies.Bulk(req[1]) : Replies.Error("ERR wrong number of arguments for 'echo' command"));
                return ValueTask.CompletedTask;
            case OpSpecial.Info: return Info(req, batch, op!);
            case OpSpecial.Config: Answer(batch, op, Config(req)); return ValueTask.CompletedTask;
            case OpSpecial.Client: Answer(batch, op, Client(req)); return ValueTask.CompletedTask;
            case OpSpecial.Cluster: Answer(batch, op, Replies.Error("ERR This instance has cluster support disabled")); return ValueTask.CompletedTask;
            case OpSpecial.Role: Answer(batch, op, "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"u8.ToArray()); return ValueTask.CompletedTask;
            case OpSpecial.Reset:
                ReleaseTransaction();
                Database = 0;
                Name = null;
                Authenticated = proxy.SessionAuth.Length == 0;
                Answer(batch, op, Replies.Simple("RESET"));
                return ValueTask.CompletedTask;
            case OpSpecial.Multi:
            case OpSpecial.Exec:
            case OpSpecial.Discard:
            case OpSpecial.Watch:
            case OpSpecial.Unwatch:
                return Transaction(req, batch, op!);
            case OpSpecial.Blocking: return Blocking(req, batch, op!);
            case OpSpecial.StreamRead: return StreamRead(req, batch, op!);
            case OpSpecial.SameSlot: return RunPinned(req, batch, op!, wait: null);
            case OpSpecial.SlotsHashKey: Answer(batch, op, SlotsHashKey(req)); return ValueTask.CompletedTask;
            case OpSpecial.SlotsMapping: Answer(batch, op, SlotsMapping(req)); return ValueTask.CompletedTask;
            case OpSpecial.SlotsInfo: return SlotsInfo(req, batch, op!);
            case OpSpecial.SlotsScan: return SlotsScan(req, batch, op!);
            case OpSpecial.Command: return ForwardKeyless(req, batch, op!);
            case OpSpecial.Script: Script(req, batch, op!); return ValueTask.CompletedTask;
            case OpSpecial.Function: Function(req, batch, op!); return ValueTask.CompletedTask;
            case OpSpecial.MGet: return req.Count > 2 ? SplitMGet(req, batch, op!) : ForwardByKey(req, batch, op, 1);
            case OpSpecial.MSet: return req.Count > 3 ? SplitMSet(req, batch, op!) : ForwardByKey(req, batch, op, 1);
            case OpSpecial.Del:
            case OpSpecial.Unlink:
            case OpSpecial.Touch:
            case OpSpecial.Exists:
                return req.Count > 2 ? SplitCount(req, batch, op!) : ForwardByKey(req, batch, op, 1);
            case OpSpecial.Eval:
                // EVAL script numkeys key... (FCALL function numkeys key...): routed by the first key; with no keys,
                // to any online group.
                if (req.Count >= 3 && RespRequestParser.TryParseInteger(req[2], out long numkeys) && numkeys == 0)
                    return ForwardKeyless(req, batch, op!);
                return ForwardByKey(req, batch, op, 3);
        }
        // Everything else by its first key: the first argument (the original's rule; unknown commands count as
        // writes), or where its key spec puts it (XGROUP CREATE key, XINFO STREAM key, ZUNION numkeys key...).
        if (op != null && KeyPositions.FirstKeyOnly(op)) return ForwardByKey(req, batch, op, 1);
        if (KeyPositions.Find(req, keyIndexes) && keyIndexes.Count > 0) return ForwardByKey(req, batch, op, keyIndexes[0]);
        return ForwardByKey(req, batch, op, 1);
    }

    /// <summary>Routes by the key at <paramref name="keyIndex"/> (slot 0 when there is none, as the original).</summary>
    private ValueTask ForwardByKey(RespRequest req, Batch batch, OpInfo? op, int keyIndex)
    {
        var key = keyIndex < req.Count ? req.Memory(keyIndex) : ReadOnlyMemory<byte>.Empty;
        int slot = SlotHash.Slot(key.Span);
        var wire = req.IsMultibulk ? req.Raw : Encode(req);
        var p = Track(Forwarded(op, op == null ? Encoding.UTF8.GetString(req[0]).ToUpperInvariant() : null, dispatchTicks), batch);
        return proxy.Router.ForwardAsync(p, slot, wire, key, Database, RouteToMaster(op, slot), seed, touched);
    }

    /// <summary>A command with no key goes to the master of a pseudo-random slot that has one (as the original's PING).</summary>
    private ValueTask ForwardKeyless(RespRequest req, Batch batch, OpInfo op)
    {
        var wire = req.IsMultibulk ? req.Raw : Encode(req);
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        int slot = proxy.Router.AnyServedSlot((int)(seed % SlotHash.SlotCount));
        return proxy.Router.ForwardAsync(p, slot, wire, ReadOnlyMemory<byte>.Empty, Database, true, seed, touched);
    }

    /// <summary>INFO [section] is answered by the proxy; INFO backend-addr [section] is sent to that backend (as the original).</summary>
    private ValueTask Info(RespRequest req, Batch batch, OpInfo op)
    {
        if (req.Count >= 2 && req[1].IndexOf((byte)':') > 0)
        {
            string addr = req.ToUtf8String(1);
            var args = new List<byte[]> { "INFO"u8.ToArray() };
            for (int i = 2; i < req.Count; i++) args.Add(req.ToArray(i));
            var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
            if (!proxy.Router.SendTo(addr, p, RespValue.EncodeCommand(args), Database, touched))
                p.Fail($"ERR backend server '{addr}' not found");
            return ValueTask.CompletedTask;
        }
        var sections = new List<string>();
        for (int i = 1; i < req.Count; i++) sections.Add(req.ToUtf8String(i));
        Answer(batch, op, Replies.Bulk(proxy.Info(sections)));
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// CONFIG GET answers the proxy's own client-facing parameters (clients probe databases and the like);
    /// unknown parameters give an empty list, as Redis. Everything else about CONFIG administers a server: refused.
    /// </summary>
    private byte[] Config(RespRequest req)
    {
        if (req.Count < 2) return Replies.Error("ERR wrong number of arguments for 'config' command");
        if (!Ascii.EqualsIgnoreCase(req[1], "GET"))
            return Replies.Error($"ERR handle request, command 'CONFIG {req.ToUtf8String(1).ToUpperInvariant()}' is not allowed: it administers one server, not the cluster: use codis-admin or the dashboard");
        if (req.Count < 3) return Replies.Error("ERR wrong number of arguments for 'config|get' command");
        var values = proxy.ConfigValues();
        var found = new List<(string, string)>();
        for (int i = 2; i < req.Count; i++)
        {
            string pattern = req.ToUtf8String(i);
            foreach (var (k, v) in values)
                if (Core.Text.Glob.Match(pattern, k, noCase: true) && !found.Any(f => f.Item1 == k)) found.Add((k, v));
        }
        var sb = new StringBuilder().Append('*').Append(found.Count * 2).Append("\r\n");
        foreach (var (k, v) in found)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(k)).Append("\r\n").Append(k).Append("\r\n");
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(v)).Append("\r\n").Append(v).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static ReadOnlyMemory<byte> Encode(RespRequest req)
    {
        var args = new byte[req.Count][];
        for (int i = 0; i < req.Count; i++) args[i] = req.ToArray(i);
        return RespValue.EncodeCommand(args);
    }

    private byte[] Auth(RespRequest req)
    {
        if (req.Count < 2 || req.Count > 3) return Replies.Error("ERR wrong number of arguments for 'auth' command");
        if (proxy.SessionAuth.Length == 0)
            return Replies.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        bool ok = (req.Count == 2 || Ascii.EqualsIgnoreCase(req[1], "default"))
                  && CryptographicOperations.FixedTimeEquals(req[req.Count - 1], Encoding.UTF8.GetBytes(proxy.SessionAuth));
        Authenticated = ok;
        return ok ? Replies.Ok : Replies.Error("WRONGPASS invalid username-password pair or user is disabled.");
    }

    private byte[] Hello(RespRequest req)
    {
        int i = 1;
        if (req.Count >= 2)
        {
            if (!RespRequestParser.TryParseInteger(req[1], out long ver)) return Replies.Error("ERR Protocol version is not an integer or out of range");
            if (ver != 2) return Replies.Error("NOPROTO sorry, this protocol version is not supported.");
            i = 2;
        }
        for (; i < req.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(req[i], "AUTH") && i + 2 < req.Count)
            {
                bool ok = proxy.SessionAuth.Length == 0 ||
                          (Ascii.EqualsIgnoreCase(req[i + 1], "default") &&
                           CryptographicOperations.FixedTimeEquals(req[i + 2], Encoding.UTF8.GetBytes(proxy.SessionAuth)));
                if (!ok) return Replies.Error("WRONGPASS invalid username-password pair or user is disabled.");
                Authenticated = true;
                i += 2;
            }
            else if (Ascii.EqualsIgnoreCase(req[i], "SETNAME") && i + 1 < req.Count)
            {
                Name = req.ToUtf8String(++i);
            }
            else return Replies.Error($"ERR Syntax error in HELLO option '{req.ToUtf8String(i)}'");
        }
        if (!Authenticated) return Replies.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        var sb = new StringBuilder();
        sb.Append("*14\r\n");
        void Bulk(string s) => sb.Append('$').Append(Encoding.UTF8.GetByteCount(s)).Append("\r\n").Append(s).Append("\r\n");
        Bulk("server"); Bulk("redis");
        Bulk("version"); Bulk(ProxyServer.RedisVersion);
        Bulk("proto"); sb.Append(":2\r\n");
        Bulk("id"); sb.Append(':').Append(Id).Append("\r\n");
        Bulk("mode"); Bulk("standalone");
        Bulk("role"); Bulk("master");
        Bulk("modules"); sb.Append("*0\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private byte[] Select(RespRequest req)
    {
        if (req.Count != 2) return Replies.Error("ERR wrong number of arguments for 'select' command");
        if (!RespRequestParser.TryParseInteger(req[1], out long db)) return Replies.Error("ERR value is not an integer or out of range");
        if (db < 0 || db >= proxy.Databases) return Replies.Error("ERR DB index is out of range");
        Database = (int)db;
        OnDatabaseChanged();
        return Replies.Ok;
    }

    private byte[] Client(RespRequest req)
    {
        if (req.Count < 2) return Replies.Error("ERR wrong number of arguments for 'client' command");
        string sub = req.ToUtf8String(1).ToUpperInvariant();
        switch (sub)
        {
            case "SETNAME" when req.Count == 3:
                var n = req.ToUtf8String(2);
                if (n.Any(c => c <= ' ' || c > '~')) return Replies.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                Name = n.Length == 0 ? null : n;
                return Replies.Ok;
            case "GETNAME" when req.Count == 2:
                return Name == null ? Replies.NullBulk : Replies.Bulk(Name);
            case "ID" when req.Count == 2:
                return Replies.Integer(Id);
            case "SETINFO" when req.Count == 4:
                if (!Ascii.EqualsIgnoreCase(req[2], "LIB-NAME") && !Ascii.EqualsIgnoreCase(req[2], "LIB-VER"))
                    return Replies.Error($"ERR Unrecognized option '{req.ToUtf8String(2)}'");
                return Replies.Ok;
            case "INFO" when req.Count == 2:
                return Replies.Bulk(Describe() + "\n");
            case "NO-EVICT" or "NO-TOUCH" when req.Count == 3:
                if (!Ascii.EqualsIgnoreCase(req[2], "ON") && !Ascii.EqualsIgnoreCase(req[2], "OFF")) return Replies.Error("ERR syntax error");
                return Replies.Ok;
            case "LIST":
                return Replies.Bulk(string.Concat(proxy.Sessions.Select(s => s.Describe() + "\n")));
            case "SETNAME":
            case "GETNAME":
            case "ID":
            case "SETINFO":
            case "INFO":
            case "NO-EVICT":
            case "NO-TOUCH":
                return Replies.Error($"ERR wrong number of arguments for 'client|{sub.ToLowerInvariant()}' command");
            default:
                return Replies.Error($"ERR handle request, 'CLIENT {sub}' is not allowed: it acts on one server's clients, not the cluster's");
        }
    }

    public string Describe()
    {
        long now = Environment.TickCount64;
        return $"id={Id} addr={Remote} name={Name ?? ""} age={(now - CreatedTicks) / 1000} idle={(now - LastActiveTicks) / 1000} db={Database} ops={Ops}";
    }

    private byte[] SlotsHashKey(RespRequest req)
    {
        var sb = new StringBuilder().Append('*').Append(req.Count - 1).Append("\r\n");
        for (int i = 1; i < req.Count; i++) sb.Append(':').Append(SlotHash.Slot(req[i])).Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private byte[] SlotsMapping(RespRequest req)
    {
        if (req.Count > 2) return Replies.Error("ERR wrong number of arguments for 'slotsmapping' command");
        if (req.Count == 2)
        {
            if (!RespRequestParser.TryParseInteger(req[1], out long id) || id < 0 || id >= SlotHash.SlotCount)
                return Replies.Error($"ERR parse slotnum '{req.ToUtf8String(1)}' failed, out of range");
            return Encoding.UTF8.GetBytes(MappingEntry(proxy.Router.Slot((int)id)));
        }
        var sb = new StringBuilder("*1024\r\n");
        for (int i = 0; i < SlotHash.SlotCount; i++) sb.Append(MappingEntry(proxy.Router.Slot(i)));
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string MappingEntry(Core.Models.SlotModel m)
    {
        var sb = new StringBuilder("*4\r\n");
        sb.Append('+').Append(m.Id).Append("\r\n+").Append(m.BackendAddr).Append("\r\n+").Append(m.MigrateFrom).Append("\r\n");
        if (m.ReplicaGroups is not { Length: > 0 } groups) sb.Append("*-1\r\n");
        else
        {
            sb.Append('*').Append(groups.Length).Append("\r\n");
            foreach (var g in groups)
            {
                sb.Append('*').Append(g.Length).Append("\r\n");
                foreach (var a in g) sb.Append('+').Append(a).Append("\r\n");
            }
        }
        return sb.ToString();
    }

    private ValueTask SlotsInfo(RespRequest req, Batch batch, OpInfo op)
    {
        if (req.Count != 2)
        {
            Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'SLOTSINFO' command"));
            return ValueTask.CompletedTask;
        }
        string addr = req.ToUtf8String(1);
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        if (!proxy.Router.SendTo(addr, p, "*1\r\n$9\r\nSLOTSINFO\r\n"u8, Database, touched))
            p.Fail($"ERR backend server '{addr}' not found");
        return ValueTask.CompletedTask;
    }

    private ValueTask SlotsScan(RespRequest req, Batch batch, OpInfo op)
    {
        if (req.Count < 3)
        {
            Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'SLOTSSCAN' command"));
            return ValueTask.CompletedTask;
        }
        if (!RespRequestParser.TryParseInteger(req[1], out long slot) || slot < 0 || slot >= SlotHash.SlotCount)
        {
            Answer(batch, op, Replies.Error($"ERR parse slotnum '{req.ToUtf8String(1)}' failed, out of range"));
            return ValueTask.CompletedTask;
        }
        var wire = req.IsMultibulk ? req.Raw : Encode(req);
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        return proxy.Router.ForwardAsync(p, (int)slot, wire, ReadOnlyMemory<byte>.Empty, Database, true, seed, touched);
    }
}
