using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.PubSub;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// Pub/sub for one client (docs/pubsub.md): (P)(UN)SUBSCRIBE change the session's subscriptions, which
/// <see cref="SessionPubSub"/> carries on backend links; PUBLISH goes to the master of the channel's slot;
/// PUBSUB is merged over the masters. Pushes from the links are written between batches of replies, never
/// inside one, so a confirmation always precedes the messages it enables.
/// </summary>
internal sealed partial class ProxySession
{
    /// <summary>Pushes a slow subscriber may have pending before it is closed (Redis's pubsub output limit).</summary>
    private const long MaxPendingPushBytes = 32L << 20;

    private SessionPubSub? pubsub;
    // Held by the session loop from dispatch to flush, and by the push pump while it writes.
    private SemaphoreSlim? writeLock;
    private bool holdsWriteLock;
    private readonly ConcurrentQueue<byte[]> pushes = new();
    private long pendingPushBytes;
    private int pumpScheduled;
    private volatile bool closeAfterPushes;

    public bool IsSubscribed => pubsub?.Active == true;

    private async ValueTask EnterWriteAsync()
    {
        if (writeLock == null || holdsWriteLock) return;
        await writeLock.WaitAsync().ConfigureAwait(false);
        holdsWriteLock = true;
    }

    private void ExitWrite()
    {
        if (!holdsWriteLock) return;
        holdsWriteLock = false;
        writeLock!.Release();
        if (!pushes.IsEmpty) SchedulePump();
    }

    private SessionPubSub PubSubState()
    {
        if (pubsub != null) return pubsub;
        // Created inside a batch: the loop holds the write lock from now to this batch's flush.
        writeLock = new SemaphoreSlim(0, 1);
        holdsWriteLock = true;
        pubsub = new SessionPubSub(proxy.Router, proxy.BackendOptions, Remote, proxy.Settings["pubsub_recovery_timeout"].AsDuration, Push, OnPubSubBroken);
        proxy.TrackSubscriber(this);
        return pubsub;
    }

    internal void OnRoutingChanged() => pubsub?.OnRoutingChanged();

    private void DisposePubSub()
    {
        if (pubsub == null) return;
        proxy.UntrackSubscriber(this);
        pubsub.Dispose();
    }

    private void Push(byte[] frame)
    {
        pushes.Enqueue(frame);
        if (Interlocked.Add(ref pendingPushBytes, frame.Length) > MaxPendingPushBytes && !closeAfterPushes)
        {
            Codis.Core.Logging.Log.Info("closing subscriber over the pub/sub output limit", ("client", Remote), ("limit_bytes", MaxPendingPushBytes));
            Kill();
            return;
        }
        SchedulePump();
    }

    private void OnPubSubBroken(string error)
    {
        pushes.Enqueue(Replies.Error($"ERR pub/sub: the subscriptions of this connection were lost and cannot be restored ({error}); closing the connection, reconnect and subscribe again"));
        closeAfterPushes = true;
        SchedulePump();
    }

    private void SchedulePump()
    {
        if (Interlocked.Exchange(ref pumpScheduled, 1) == 0) _ = PumpAsync();
    }

    private async Task PumpAsync()
    {
        try
        {
            await writeLock!.WaitAsync(Closing.Token).ConfigureAwait(false);
            try
            {
                Volatile.Write(ref pumpScheduled, 0);
                while (pushes.TryDequeue(out var f))
                {
                    writer.Write(f);
                    Interlocked.Add(ref pendingPushBytes, -f.Length);
                }
                Volatile.Write(ref flushingSince, Environment.TickCount64);
                await writer.FlushAsync(Closing.Token).ConfigureAwait(false);
                Volatile.Write(ref flushingSince, 0);
            }
            finally
            {
                writeLock.Release();
            }
            if (closeAfterPushes) Kill();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            Volatile.Write(ref pumpScheduled, 0);
        }
    }

    private static bool AllowedWhileSubscribed(OpInfo? op) =>
        op?.Special is OpSpecial.Subscribe or OpSpecial.Unsubscribe or OpSpecial.PSubscribe or OpSpecial.PUnsubscribe
            or OpSpecial.Ping or OpSpecial.Quit or OpSpecial.Reset;

    /// <summary>
    /// The subscribed-mode rule and this file's commands; null when the request is not one of them (the
    /// regular dispatch goes on).
    /// </summary>
    private ValueTask? DispatchPubSub(RespRequest req, Batch batch, OpInfo? op)
    {
        if (IsSubscribed)
        {
            if (!AllowedWhileSubscribed(op))
            {
                string name = Encoding.UTF8.GetString(req[0]).ToLowerInvariant();
                Answer(batch, op, Replies.Error($"ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
                return ValueTask.CompletedTask;
            }
            if (op!.Special == OpSpecial.Ping)
            {
                Answer(batch, op, req.Count switch
                {
                    1 => "*2\r\n$4\r\npong\r\n$0\r\n\r\n"u8.ToArray(),
                    2 => [.. "*2\r\n$4\r\npong\r\n"u8, .. Replies.Bulk(req[1])],
                    _ => Replies.Error("ERR wrong number of arguments for 'ping' command"),
                });
                return ValueTask.CompletedTask;
            }
        }
        if (op?.Special == OpSpecial.Reset && pubsub != null)
        {
            pubsub.Clear();
            _ = pubsub.SyncAsync();
            return null; // the regular RESET goes on
        }
        if (op?.Special is not (OpSpecial.Subscribe or OpSpecial.Unsubscribe or OpSpecial.PSubscribe or OpSpecial.PUnsubscribe
            or OpSpecial.Publish or OpSpecial.PubSub))
            return null;
        if (!Authenticated)
        {
            Answer(batch, op, Replies.Error("NOAUTH Authentication required."));
            return ValueTask.CompletedTask;
        }
        switch (op.Special)
        {
            case OpSpecial.Subscribe:
            case OpSpecial.PSubscribe:
                Subscribe(req, batch, op, op.Special == OpSpecial.PSubscribe);
                return ValueTask.CompletedTask;
            case OpSpecial.Unsubscribe:
            case OpSpecial.PUnsubscribe:
                Unsubscribe(req, batch, op, op.Special == OpSpecial.PUnsubscribe);
                return ValueTask.CompletedTask;
            case OpSpecial.Publish:
                return Publish(req, batch, op);
            default:
                return PubSubCommand(req, batch, op);
        }
    }

    private static List<string> Names(RespRequest req)
    {
        var names = new List<string>(req.Count - 1);
        for (int i = 1; i < req.Count; i++) names.Add(Encoding.Latin1.GetString(req[i]));
        return names;
    }

    private void Subscribe(RespRequest req, Batch batch, OpInfo op, bool pattern)
    {
        if (req.Count < 2)
        {
            Answer(batch, op, Replies.Error($"ERR wrong number of arguments for '{op.Name.ToLowerInvariant()}' command"));
            return;
        }
        var state = PubSubState();
        var (reply, added) = state.Subscribe(Names(req), pattern);
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        if (added.Count == 0)
        {
            p.Complete(reply);
            return;
        }
        // The reply waits for the backends' confirmations: once the client has it, every message published is delivered.
        _ = Task.Run(async () =>
        {
            var error = await state.SyncAsync().ConfigureAwait(false);
            if (error == null)
            {
                p.Complete(reply);
                return;
            }
            state.Rollback(added, pattern);
            _ = state.SyncAsync();
            p.Fail($"ERR pub/sub: cannot {op.Name.ToLowerInvariant()} on the backend ({error})");
        });
    }

    private void Unsubscribe(RespRequest req, Batch batch, OpInfo op, bool pattern)
    {
        var state = PubSubState();
        Answer(batch, op, state.Unsubscribe(Names(req), pattern));
        _ = state.SyncAsync();
    }

    private ValueTask Publish(RespRequest req, Batch batch, OpInfo op)
    {
        if (req.Count != 3)
        {
            Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'publish' command"));
            return ValueTask.CompletedTask;
        }
        // Keyless forwarding: a channel is not a key, so a migrating slot needs no key move first.
        var wire = req.IsMultibulk ? req.Raw : Encode(req);
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        return proxy.Router.ForwardAsync(p, ChannelRoute.Slot(req[1]), wire, ReadOnlyMemory<byte>.Empty, Database, true, seed, touched);
    }

    /// <summary>PUBSUB CHANNELS (union over masters), NUMPAT (the largest master count), NUMSUB (each channel's owner).</summary>
    private ValueTask PubSubCommand(RespRequest req, Batch batch, OpInfo op)
    {
        if (req.Count < 2)
        {
            Answer(batch, op, Replies.Error("ERR wrong number of arguments for 'pubsub' command"));
            return ValueTask.CompletedTask;
        }
        string sub = req.ToUtf8String(1).ToUpperInvariant();
        var wire = (req.IsMultibulk ? req.Raw : Encode(req)).ToArray();
        switch (sub)
        {
            case "CHANNELS" when req.Count <= 3:
                FanOut(batch, op, SessionPubSub.Masters(proxy.Router).Select(a => (a, wire)).ToList(), m =>
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    var items = new List<byte[]>();
                    foreach (var c in m.Children)
                    {
                        if (Replies.IsError(c.Reply!)) return c.Reply!;
                        foreach (var e in SplitArray(c.Reply!) ?? []) if (seen.Add(Encoding.Latin1.GetString(e))) items.Add(e);
                    }
                    return JoinArray(items);
                });
                return ValueTask.CompletedTask;
            case "NUMPAT" when req.Count == 2:
                FanOut(batch, op, SessionPubSub.Masters(proxy.Router).Select(a => (a, wire)).ToList(), m =>
                {
                    long max = 0;
                    foreach (var c in m.Children)
                    {
                        if (Replies.IsError(c.Reply!)) return c.Reply!;
                        if (TryInteger(c.Reply!, out long n)) max = Math.Max(max, n);
                    }
                    return Replies.Integer(max);
                });
                return ValueTask.CompletedTask;
            case "NUMSUB":
                return NumSub(req, batch, op);
            case "CHANNELS" or "NUMPAT":
                Answer(batch, op, Replies.Error($"ERR wrong number of arguments for 'pubsub|{sub.ToLowerInvariant()}' command"));
                return ValueTask.CompletedTask;
            default:
                // HELP, the sharded variants (empty: SSUBSCRIBE is refused) and unknown subcommands: any master answers.
                return ForwardKeyless(req, batch, op);
        }
    }

    private ValueTask NumSub(RespRequest req, Batch batch, OpInfo op)
    {
        if (req.Count == 2)
        {
            Answer(batch, op, "*0\r\n"u8.ToArray());
            return ValueTask.CompletedTask;
        }
        var byOwner = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 2; i < req.Count; i++)
        {
            var owner = proxy.Router.Slot(ChannelRoute.Slot(req[i])).BackendAddr;
            if (owner.Length == 0)
            {
                Answer(batch, op, Replies.Error("ERR handle request, slot is not ready, may be offline"));
                return ValueTask.CompletedTask;
            }
            if (!byOwner.TryGetValue(owner, out var list)) byOwner[owner] = list = new();
            list.Add(i);
        }
        var owners = byOwner.ToList();
        var parts = owners.Select(o =>
        {
            var args = new List<byte[]> { "PUBSUB"u8.ToArray(), "NUMSUB"u8.ToArray() };
            foreach (int i in o.Value) args.Add(req.ToArray(i));
            return (o.Key, RespValue.EncodeCommand(args));
        }).ToList();
        FanOut(batch, op, parts, m =>
        {
            var pairs = new byte[(req.Count - 2) * 2][];
            for (int g = 0; g < owners.Count; g++)
            {
                var reply = m.Children[g].Reply!;
                if (Replies.IsError(reply)) return reply;
                var items = SplitArray(reply);
                if (items == null || items.Count != owners[g].Value.Count * 2) return Replies.Error("ERR handle response, bad PUBSUB NUMSUB reply from backend");
                for (int k = 0; k < owners[g].Value.Count; k++)
                {
                    int at = (owners[g].Value[k] - 2) * 2;
                    pairs[at] = items[2 * k];
                    pairs[at + 1] = items[2 * k + 1];
                }
            }
            return JoinArray(pairs);
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends one command to each address and merges the replies once all are in.</summary>
    private void FanOut(Batch batch, OpInfo op, List<(string Address, byte[] Wire)> parts, Func<MultiRequest, byte[]> merge)
    {
        if (parts.Count == 0)
        {
            Answer(batch, op, Replies.Error("ERR handle request, no group serves any slot"));
            return;
        }
        var parent = new MultiRequest(batch, parts.Count, merge) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() };
        Track(parent, batch);
        for (int g = 0; g < parts.Count; g++)
        {
            var child = new PendingRequest(null) { Parent = parent, Index = g, Op = op };
            parent.Children[g] = child;
            if (!proxy.Router.SendTo(parts[g].Address, child, parts[g].Wire, Database, touched))
                child.Fail($"ERR backend server '{parts[g].Address}' not found");
        }
    }

    private static byte[] JoinArray(IReadOnlyCollection<byte[]> items)
    {
        var header = Encoding.ASCII.GetBytes($"*{items.Count}\r\n");
        var result = new byte[header.Length + items.Sum(i => i.Length)];
        header.CopyTo(result, 0);
        int pos = header.Length;
        foreach (var e in items)
        {
            e.CopyTo(result, pos);
            pos += e.Length;
        }
        return result;
    }

    private static bool TryInteger(byte[] reply, out long n)
    {
        n = 0;
        return reply.Length >= 4 && reply[0] == (byte)':' && long.TryParse(Encoding.ASCII.GetString(reply, 1, reply.Length - 3), out n);
    }
}
