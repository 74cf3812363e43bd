using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Codis.Core.Networking.EventLoop;

/// <summary>
/// A client socket served by an <see cref="EventLoop"/>. Received bytes go into <see cref="Input"/>, whose reader
/// continuation (the connection's parse-execute loop) runs inline on the loop thread; what the connection flushes
/// to <see cref="Output"/> is written to the socket inline by a send pump, so a request costs one recv and one send.
/// Reading follows the connection: the loop reads only while the connection waits in ReadAsync (a client blocked
/// in BLPOP, waiting for a deferred reply or paused is not read from, as with the stream transport); a send that
/// finds the socket buffer full waits for the next EPOLLOUT edge.
/// </summary>
public sealed class EventLoopTransport : IEventLoopHandler
{
    private const int ReadSize = BlockPool.BlockSize;

    private readonly EventLoop loop;
    private readonly Socket socket;
    private readonly SafeSocketHandle handle;
    private readonly Pipe input;
    private readonly Pipe output;
    private readonly Task pump;
    private GCHandle registration;

    private readonly Lock gate = new();
    private bool readerWaiting;   // the connection waits in ReadAsync: received bytes are wanted
    private bool readPending;     // an edge came while nobody waited: read when the connection asks again
    private bool inputDone;       // end of stream or error passed to the connection (loop thread only)
    private bool peerClosed;      // an event said the peer closed or the socket failed (loop thread only)
    private bool closed;
    private volatile bool writable; // an EPOLLOUT edge came since the last send attempt
    private TaskCompletionSource? writeWaiter;

    public EventLoopTransport(EventLoop loop, Socket socket)
    {
        this.loop = loop;
        this.socket = socket;
        socket.Blocking = false;
        handle = socket.SafeHandle;
        input = new Pipe(new PipeOptions(loop.Pool,
            // No pause: the loop reads only when the connection asks (see WaitingReader), which bounds the input.
            pauseWriterThreshold: 0,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            minimumSegmentSize: ReadSize, useSynchronizationContext: false));
        output = new Pipe(new PipeOptions(loop.Pool,
            pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19,
            // The pump writes inline at each flush; a writer that waited for a slow client resumes on the pool.
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool,
            minimumSegmentSize: ReadSize, useSynchronizationContext: false));
        Input = new WaitingReader(input.Reader, this);
        pump = SendPumpAsync();
        registration = loop.Register(socket.Handle, this);
    }

    public PipeReader Input { get; }
    public PipeWriter Output => output.Writer;

    /// <summary>The loop serving this socket.</summary>
    public EventLoop Loop => loop;

    /// <summary>Called on the loop thread with the epoll event bits.</summary>
    public void OnEvents(uint events)
    {
        if ((events & (Epoll.Hup | Epoll.Err | Epoll.RdHup)) != 0) peerClosed = true;
        if ((events & (Epoll.In | Epoll.Hup | Epoll.Err | Epoll.RdHup)) != 0) OnReadable();
        if ((events & (Epoll.Out | Epoll.Hup | Epoll.Err)) != 0) OnWritable();
    }

    private void OnReadable()
    {
        var writer = input.Writer;
        while (true)
        {
            lock (gate)
            {
                if (closed || inputDone) return;
                if (!readerWaiting)
                {
                    readPending = true;
                    return;
                }
            }
            var memory = writer.GetMemory(ReadSize);
            int n = Receive(memory.Span);
            if (n == -Epoll.EAGAIN) return; // drained: the next arrival is a new edge
            if (n == -Epoll.EINTR) continue;
            if (n <= 0)
            {
                inputDone = true;
                writer.Complete(n == 0 ? null : new IOException($"recv failed: errno {-n}"));
                return;
            }
            writer.Advance(n);
            lock (gate) readerWaiting = false; // set again by the connection's next ReadAsync
            _ = writer.FlushAsync(); // no pause threshold: completes at once, running the connection inline
            // A short read emptied the socket buffer: the next arrival is a new edge. Not so for the end of the
            // stream, whose edge may have come with the data: then read on until recv says 0.
            if (n < memory.Length && !peerClosed) return;
        }
    }

    /// <summary>The connection waits for bytes: read again if an edge came meanwhile (on the loop thread).</summary>
    private void OnReaderWaiting()
    {
        bool resume;
        lock (gate)
        {
            readerWaiting = true;
            resume = readPending;
            readPending = false;
        }
        if (resume) loop.Post(OnReadable);
    }

    private void OnWritable()
    {
        TaskCompletionSource? waiter;
        lock (gate)
        {
            writable = true;
            waiter = writeWaiter;
            writeWaiter = null;
        }
        waiter?.TrySetResult();
    }

    private Task WaitWritableAsync()
    {
        lock (gate)
        {
            if (closed) return Task.FromCanceled(new CancellationToken(true));
            if (writable) return Task.CompletedTask;
            writeWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return writeWaiter.Task;
        }
    }

    /// <summary>Sends what the connection flushes; runs inline in its FlushAsync until the socket buffer is full.</summary>
    private async Task SendPumpAsync()
    {
        var reader = output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (EventLoop.Holding is { } holding) await holding.RoundEnd.ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    int offset = 0;
                    while (offset < segment.Length)
                    {
                        writable = false;
                        int n = Send(segment.Span[offset..]);
                        if (n >= 0) offset += n;
                        else if (n == -Epoll.EAGAIN) await WaitWritableAsync().ConfigureAwait(false);
                        else if (n != -Epoll.EINTR) throw new IOException($"send failed: errno {-n}");
                    }
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The connection's next FlushAsync sees the reader gone (IsCompleted) and closes.
            await reader.CompleteAsync(e).ConfigureAwait(false);
        }
    }

    private int Receive(Span<byte> buffer)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Epoll.Read(handle.DangerousGetHandle(), buffer);
        }
        catch (ObjectDisposedException) { return -9; } // EBADF
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private int Send(ReadOnlySpan<byte> buffer)
    {
        bool added = false;
        try
        {
            // The fd stays open (and its number unused by another socket) while the call runs.
            handle.DangerousAddRef(ref added);
            return Epoll.Write(handle.DangerousGetHandle(), buffer);
        }
        catch (ObjectDisposedException) { return -9; }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Closes the socket after what was flushed has been sent (<paramref name="abort"/>: at once). The caller has
    /// completed <see cref="Input"/> and <see cref="Output"/>.
    /// </summary>
    public async Task CloseAsync(bool abort)
    {
        try { output.Writer.Complete(); } catch (InvalidOperationException) { }
        if (abort) Abort();
        try { await pump.ConfigureAwait(false); } catch { }
        Abort();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // On the loop thread: no event of this socket is being handled while it leaves epoll and closes.
        loop.Post(() =>
        {
            try
            {
                loop.Unregister(handle.DangerousGetHandle());
                if (!inputDone)
                {
                    inputDone = true;
                    input.Writer.Complete();
                }
                if (registration.IsAllocated) registration.Free();
                try { socket.Shutdown(SocketShutdown.Both); } catch { }
                socket.Dispose();
            }
            finally
            {
                done.TrySetResult();
            }
        });
        await done.Task.ConfigureAwait(false);
    }

    /// <summary>Stops a send that waits for a client that does not read.</summary>
    private void Abort()
    {
        TaskCompletionSource? waiter;
        lock (gate)
        {
            closed = true;
            waiter = writeWaiter;
            writeWaiter = null;
        }
        waiter?.TrySetCanceled();
    }

    /// <summary>The connection's view of <see cref="input"/>: tells the transport when it waits for bytes.</summary>
    private sealed class WaitingReader(PipeReader inner, EventLoopTransport transport) : PipeReader
    {
        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(cancellationToken);
            if (!read.IsCompleted) transport.OnReaderWaiting();
            return read;
        }

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);
        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);
        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);
        public override void CancelPendingRead() => inner.CancelPendingRead();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
