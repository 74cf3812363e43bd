using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Codis.Core.Networking.EventLoop;

/// <summary>
/// A client socket served by an <see cref="EventLoop"/> (codis-server's clients, codis-proxy's sessions), with a
/// reader and a writer of its own instead of two <see cref="Pipe"/>s: one input array the loop receives into while
/// the connection waits in ReadAsync (its continuation runs inline, on the loop thread), and one output array that
/// FlushAsync sends from at once, on the flushing thread. A request costs one recv and one send, and no pipe locks,
/// segments or send-pump task: a Pipe takes its monitor for every GetMemory, Advance, Flush, Read and AdvanceTo on
/// both sides (a fifth of codis-server's user time per request at -P 1).
/// The connection's code is single-threaded but may move between the loop and pool threads (WAIT, scripts,
/// replication), and other threads cancel its reads (pushes, kills): one lock guards what those share.
/// </summary>
public sealed partial class LoopSocket : IEventLoopHandler
{
    private const int BufferSize = 16 * 1024;
    // A buffer grown past this for a big request or reply is dropped once empty; up to it, it is kept for the
    // connection's next one (growing by doubling again each time cost more than the request).
    private const int KeptSize = 1 << 20;

    private readonly EventLoop loop;
    private readonly Socket socket;
    private readonly SafeSocketHandle handle;
    private readonly nint fd;
    private readonly LoopInput input;
    private readonly LoopOutput output;
    private GCHandle registration;
    private readonly Lock gate = new();
    private bool closed;       // aborted or closing: no more sends, pending waits are cancelled
    private bool peerClosed;   // an event said the peer closed or the socket failed (loop thread only)

    public LoopSocket(EventLoop loop, Socket socket)
    {
        this.loop = loop;
        this.socket = socket;
        socket.Blocking = false;
        handle = socket.SafeHandle;
        // One reference for the connection's life instead of one per recv and send: the descriptor stays open (and
        // its number cannot go to another socket) until the close posted by CloseAsync releases it, even if someone
        // disposes the Socket first (the owner closes through CloseAsync). Every recv and send runs under the gate after
        // checking closed.
        bool added = false;
        handle.DangerousAddRef(ref added);
        fd = handle.DangerousGetHandle();
        input = new LoopInput(this);
        output = new LoopOutput(this);
        try { registration = loop.Register(fd, this); }
        catch
        {
            handle.DangerousRelease();
            throw;
        }
    }

    public PipeReader Input => input;
    public PipeWriter Output => output;

    /// <summary>The loop serving this socket.</summary>
    public EventLoop Loop => loop;

    /// <summary>Called on the loop thread with the epoll event bits.</summary>
    public void OnEvents(uint events)
    {
        if ((events & (Epoll.Hup | Epoll.Err | Epoll.RdHup)) != 0) peerClosed = true;
        if ((events & (Epoll.In | Epoll.Hup | Epoll.Err | Epoll.RdHup)) != 0) input.OnReadable();
        if ((events & (Epoll.Out | Epoll.Hup | Epoll.Err)) != 0) output.OnWritable();
    }

    /// <summary>A read or flush that a token can end.</summary>
    private interface ICancellableWait
    {
        /// <summary>Ends the wait numbered <paramref name="version"/>, if it still waits (a later one is left alone).</summary>
        void CancelWait(short version, CancellationToken token);
    }

    /// <summary>
    /// Ends wait <paramref name="version"/> of <paramref name="wait"/> when <paramref name="token"/> fires, replacing the
    /// registration of the previous wait (a state object per wait: only rare callers pass a token).
    /// </summary>
    private void WatchToken(CancellationToken token, ICancellableWait wait, short version, ref CancellationTokenRegistration slot)
    {
        var registration = token.UnsafeRegister(static (s, t) =>
        {
            var (w, v) = ((ICancellableWait, short))s!;
            w.CancelWait(v, t);
        }, (wait, version));
        CancellationTokenRegistration old;
        lock (gate) (old, slot) = (slot, registration);
        old.Dispose();
    }

    private int Receive(Span<byte> buffer) => Epoll.Read(fd, buffer);

    private int Send(ReadOnlySpan<byte> buffer) => Epoll.Write(fd, buffer);

    /// <summary>
    /// Closes the socket after what was flushed has been sent (<paramref name="abort"/>: at once). The caller has
    /// completed <see cref="Input"/> and <see cref="Output"/>.
    /// </summary>
    public async Task CloseAsync(bool abort)
    {
        output.Complete();
        if (!abort)
        {
            try { await output.DrainedAsync().ConfigureAwait(false); } catch { }
        }
        lock (gate) closed = true;
        input.Abort();
        output.Abort();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // On the loop thread: no event of this socket is being handled while it leaves epoll and closes.
        loop.Post(() =>
        {
            try
            {
                loop.Unregister(fd);
                if (registration.IsAllocated) registration.Free();
                try { socket.Shutdown(SocketShutdown.Both); } catch { }
                // Ours first: a Socket whose handle is still referenced waits for that reference in Dispose.
                handle.DangerousRelease();
                socket.Dispose();
            }
            finally
            {
                done.TrySetResult();
            }
        });
        await done.Task.ConfigureAwait(false);
    }
}
