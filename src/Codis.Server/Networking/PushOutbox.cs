using System.Buffers;
using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Server.Networking;

/// <summary>
/// What other clients' commands push to one connection outside its request/response flow (pub/sub messages).
/// Producers append encoded frames under the keyspace lock and wake the connection (<see cref="ClientSession.Wake"/>,
/// a cancelled pending read); the connection moves them into its own writer, so one thread writes its socket and
/// a message queued before a command's reply goes out before it. Frames not yet flushed are counted against
/// Redis's client-output-buffer-limit: a client over the hard limit, or over the soft one for longer than its
/// seconds, is disconnected instead of letting the queue grow without bound.
/// </summary>
internal sealed class PushOutbox(ClientSession session)
{
    private const int KeepCapacity = 64 * 1024;

    private readonly object gate = new();
    private ArrayBufferWriter<byte> pending = new(256);
    private long inFlight;       // taken into the connection's writer, not flushed yet
    private long overSoftSince;  // when the soft limit was first exceeded (ms ticks), 0 = not over it
    private bool woken;
    private bool closed;

    /// <summary>Bytes queued for the client and not yet handed to its socket (CLIENT LIST omem).</summary>
    public long Bytes
    {
        get { lock (gate) return pending.WrittenCount + inFlight; }
    }

    public bool HasPending => Volatile.Read(ref woken);

    /// <summary>
    /// Queues one frame (under the keyspace lock); false when the client broke its limit and is being closed.
    /// Frames are encoded once for every receiver as RESP2 arrays: for a RESP3 client the array's "*" becomes the
    /// push type "&gt;" (same length, same items).
    /// </summary>
    public bool Push(ReadOnlySpan<byte> frame, OutputLimit limit)
    {
        bool wake;
        lock (gate)
        {
            if (closed) return false;
            long used = pending.WrittenCount + inFlight + frame.Length;
            if (limit.Exceeded(used, Environment.TickCount64, ref overSoftSince))
            {
                closed = true;
                pending = new ArrayBufferWriter<byte>(1); // free what it never read
                inFlight = 0;
                Log.Warn("closing a client over its output buffer limit", ("client", session.Remote), ("class", "pubsub"),
                    ("bytes", used), ("limit", limit.ToString()));
                session.Kill();
                return false;
            }
            var dst = pending.GetSpan(frame.Length);
            frame.CopyTo(dst);
            if (session.Resp3 && dst[0] == (byte)'*') dst[0] = (byte)'>';
            pending.Advance(frame.Length);
            wake = !woken;
            woken = true;
        }
        if (wake)
        {
            try { session.Wake?.Invoke(); }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException) { } // closing already
        }
        return true;
    }

    /// <summary>The connection moves the queued frames into its writer (its own thread only).</summary>
    public void TakeInto(RespWriter writer)
    {
        lock (gate)
        {
            woken = false;
            int n = pending.WrittenCount;
            if (n == 0) return;
            writer.WriteRaw(pending.WrittenSpan);
            inFlight += n;
            if (pending.Capacity > KeepCapacity) pending = new ArrayBufferWriter<byte>(256);
            else pending.ResetWrittenCount();
        }
    }

    /// <summary>After a flush of the connection's writer: what was taken before it reached the socket.</summary>
    public void Flushed()
    {
        lock (gate)
        {
            inFlight = 0;
            if (pending.WrittenCount == 0) overSoftSince = 0;
        }
    }
}

/// <summary>One class of Redis's client-output-buffer-limit: hard bytes, soft bytes, soft seconds (0 = no limit).</summary>
internal readonly record struct OutputLimit(long Hard, long Soft, long SoftSeconds)
{
    public static readonly OutputLimit PubSubDefault = new(32L << 20, 8L << 20, 60);

    /// <summary>As Redis's checkClientOutputBufferLimits: over hard at once, over soft for more than its seconds.</summary>
    public bool Exceeded(long used, long nowMs, ref long overSoftSince)
    {
        if (Hard > 0 && used >= Hard) return true;
        if (Soft > 0 && used >= Soft)
        {
            if (overSoftSince == 0)
            {
                overSoftSince = nowMs;
                return false;
            }
            return nowMs - overSoftSince > SoftSeconds * 1000;
        }
        overSoftSince = 0;
        return false;
    }

    public override string ToString() => $"{Hard} {Soft} {SoftSeconds}";
}
