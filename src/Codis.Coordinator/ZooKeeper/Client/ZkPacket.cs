using Codis.Coordinator.ZooKeeper.Jute;
using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>Parses a reply body; <paramref name="err"/> is only ever Ok or the error the request accepts as a value.</summary>
internal delegate T ZkReplyParser<T>(ZkErrorCode err, ref JuteReader r);

/// <summary>
/// One request on the wire: its frame, and what to do with the reply. Replies are matched by xid against the
/// FIFO of sent packets (the server answers in order); packets with reserved xids (ping, auth, setWatches) are
/// not queued.
/// </summary>
internal abstract class ZkPacket(int xid, ZkOpCode op, string? path, JuteWriter frame)
{
    public int Xid { get; } = xid;
    public ZkOpCode Op { get; } = op;
    public string? Path { get; } = path;

    private JuteWriter? frame = frame;

    /// <summary>The encoded request; released once written (or failed before being written).</summary>
    public JuteWriter? Frame => Volatile.Read(ref frame);

    /// <summary>Runs on the reader loop as the reply arrives, before anything read after it: watch registration.</summary>
    public Action<ZkErrorCode>? OnReply { get; init; }

    public bool ExpectsReply => Xid >= 0;

    /// <summary>Returns the pooled frame exactly once, whoever gets here first.</summary>
    public void ReleaseFrame() => Interlocked.Exchange(ref frame, null)?.Dispose();

    public abstract void Complete(in ReplyHeader header, ref JuteReader body, string address);

    public abstract void Fail(Exception error);
}

/// <summary>A request whose caller awaits a typed result.</summary>
internal sealed class ZkPacket<T>(int xid, ZkOpCode op, string? path, JuteWriter frame, ZkReplyParser<T> parse, ZkErrorCode acceptedError)
    : ZkPacket(xid, op, path, frame)
{
    private readonly TaskCompletionSource<T> result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => result.Task;

    public override void Complete(in ReplyHeader header, ref JuteReader body, string address)
    {
        var err = (ZkErrorCode)header.Err;
        try
        {
            OnReply?.Invoke(err);
            if (err != ZkErrorCode.Ok && err != acceptedError)
                result.TrySetException(ZkErrors.ToException(err, Op, Path, address));
            else
                result.TrySetResult(parse(err, ref body));
        }
        catch (ZkProtocolException e)
        {
            // A corrupt reply breaks the connection, not just this request (already out of the pending queue).
            result.TrySetException(new CoordinatorUnavailableException($"ZooKeeper {address}: bad reply to {Op} {Path}: {e.Message}", e));
            throw;
        }
        catch (Exception e)
        {
            result.TrySetException(e);
        }
    }

    public override void Fail(Exception error) => result.TrySetException(error);
}

/// <summary>A fire-and-forget packet (ping, setWatches) or one completed by xid-specific bookkeeping (auth).</summary>
internal sealed class ZkControlPacket(int xid, ZkOpCode op, JuteWriter frame) : ZkPacket(xid, op, null, frame)
{
    public override void Complete(in ReplyHeader header, ref JuteReader body, string address) { }

    public override void Fail(Exception error) { }
}
