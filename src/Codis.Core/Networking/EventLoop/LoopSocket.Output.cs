using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace Codis.Core.Networking.EventLoop;

public sealed partial class LoopSocket
{
    /// <summary>
    /// The connection's writer: one array, [sent, flushed) flushed and not yet taken by the socket, [flushed, pos)
    /// written and not yet flushed. FlushAsync sends at once on the calling thread; what the socket does not take
    /// goes out on the next EPOLLOUT edge, from the loop thread. Like the pipe it replaces, a flush waits only when
    /// more than <see cref="PauseBytes"/> wait for a client that does not read (until they drop under
    /// <see cref="ResumeBytes"/>). A flush on a loop thread within a round sends at the round's end
    /// (<see cref="EventLoop.DeferToRoundEnd"/>): after the round's AOF commit, with the other replies of the round.
    /// </summary>
    private sealed class LoopOutput(LoopSocket owner) : PipeWriter, IValueTaskSource<FlushResult>, ICancellableWait, IRoundEndWork
    {
        private const int PauseBytes = 1 << 20, ResumeBytes = 1 << 19;

        // Empty while nothing waits to be sent: an idle connection holds no buffer (a block of the loop's pool otherwise).
        private byte[] buffer = [];
        private int sent, flushed, pos;
        private bool failed;        // a send failed: flushes report IsCompleted and the connection closes
        private bool held;          // waiting for the round's end to send
        private bool waiting;       // a FlushAsync waits for the client to read
        private bool cancelNext;
        private ManualResetValueTaskSourceCore<FlushResult> core; // inline continuations
        private CancellationTokenRegistration cancelRegistration;
        private TaskCompletionSource? drained;

        private Lock Gate => owner.gate;

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            int need = Math.Max(sizeHint, 1);
            if (buffer.Length - pos < need)
            {
                lock (Gate) MakeRoom(need);
            }
            return buffer.AsMemory(pos);
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if ((uint)bytes > (uint)(buffer.Length - pos)) throw new ArgumentOutOfRangeException(nameof(bytes));
            pos += bytes;
        }

        /// <summary>Under the lock (sends read the buffer): drop what was sent, then grow if still short.</summary>
        private void MakeRoom(int need)
        {
            if (sent > 0)
            {
                buffer.AsSpan(sent, pos - sent).CopyTo(buffer);
                flushed -= sent;
                pos -= sent;
                sent = 0;
            }
            if (buffer.Length - pos >= need) return;
            if (buffer.Length == 0 && need <= BufferSize)
            {
                buffer = owner.loop.Pool.RentArray();
                return;
            }
            long size = Math.Max((long)buffer.Length * 2, (long)pos + need);
            var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(size, Array.MaxLength));
            buffer.AsSpan(0, pos).CopyTo(bigger);
            buffer = bigger;
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            short version;
            lock (Gate)
            {
                flushed = pos;
                if (cancelNext)
                {
                    cancelNext = false;
                    return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
                }
                if (failed || owner.closed) return new ValueTask<FlushResult>(new FlushResult(false, isCompleted: true));
                if (!held)
                {
                    if (EventLoop.DeferToRoundEnd(this)) held = true;
                    else SendLocked();
                }
                if (failed) return new ValueTask<FlushResult>(new FlushResult(false, isCompleted: true));
                if (flushed - sent <= PauseBytes)
                {
                    if (sent == pos) Reset();
                    return new ValueTask<FlushResult>(new FlushResult(false, false));
                }
                waiting = true;
                core.Reset();
                version = core.Version;
            }
            if (cancellationToken.CanBeCanceled) owner.WatchToken(cancellationToken, this, version, ref cancelRegistration);
            return new ValueTask<FlushResult>(this, version);
        }

        /// <summary>Everything was sent: start from the front again, giving back a buffer a big reply grew.</summary>
        private void Reset()
        {
            sent = flushed = pos = 0;
            if (buffer.Length == BufferSize) owner.loop.Pool.ReturnArray(buffer);
            if (buffer.Length <= BufferSize || buffer.Length > KeptSize) buffer = [];
        }

        /// <summary>Sends [sent, flushed) until done or the socket buffer is full (the next EPOLLOUT edge resumes).</summary>
        private void SendLocked()
        {
            while (sent < flushed && !failed)
            {
                int n = owner.Send(buffer.AsSpan(sent, flushed - sent));
                if (n >= 0) sent += n;
                else if (n == -Epoll.EAGAIN) break;
                else if (n != -Epoll.EINTR) failed = true;
            }
        }

        /// <summary>On the loop thread: the socket takes bytes again.</summary>
        public void OnWritable()
        {
            // Nearly every event says "writable" (a readable socket usually is): without bytes waiting, nothing to do,
            // and no lock. A stale read is harmless: bytes left behind by a send that found the socket full wait for
            // the next EPOLLOUT edge, which comes when the socket takes bytes again and finds them here.
            if (Volatile.Read(ref sent) == Volatile.Read(ref flushed) && !Volatile.Read(ref waiting) && Volatile.Read(ref drained) == null) return;
            lock (Gate)
            {
                if (held || owner.closed) return;
                SendLocked();
            }
            AfterSend();
        }

        /// <summary>On the loop thread, after the round's AOF commit: the held replies go out.</summary>
        public void OnRoundEnd()
        {
            lock (Gate)
            {
                held = false;
                if (!owner.closed) SendLocked();
            }
            AfterSend();
        }

        /// <summary>Wakes a flush that waited for the client, and a close that waited for the last bytes.</summary>
        private void AfterSend()
        {
            // Usually nobody waits: no lock then. A flush or close that starts waiting sends first, under the lock, and
            // waits only for bytes a full socket left behind; the next EPOLLOUT edge brings it here again.
            if (!Volatile.Read(ref waiting) && Volatile.Read(ref drained) == null) return;
            TaskCompletionSource? done = null;
            bool wake = false;
            FlushResult result = default;
            CancellationTokenRegistration registration = default;
            lock (Gate)
            {
                if (waiting && (failed || flushed - sent <= ResumeBytes))
                {
                    waiting = false;
                    wake = true;
                    result = new FlushResult(false, isCompleted: failed);
                    registration = cancelRegistration;
                    cancelRegistration = default;
                }
                if (drained != null && (failed || (sent == flushed && !held)))
                {
                    done = drained;
                    drained = null;
                }
            }
            if (wake)
            {
                registration.Dispose();
                core.RunContinuationsAsynchronously = false; // on the loop thread, with nobody else's work on the stack
                core.SetResult(result);
            }
            done?.TrySetResult();
        }

        public void CancelWait(short version, CancellationToken token)
        {
            lock (Gate)
            {
                if (!waiting || core.Version != version) return;
                waiting = false;
            }
            // A kill comes from another client's command (an output limit, CLIENT KILL): the connection's close
            // must not run inside it (it would unsubscribe from the channel being published to), so on the pool.
            core.RunContinuationsAsynchronously = true;
            core.SetException(new OperationCanceledException(token));
        }

        public override void CancelPendingFlush()
        {
            lock (Gate)
            {
                if (!waiting)
                {
                    cancelNext = true;
                    return;
                }
                waiting = false;
            }
            core.RunContinuationsAsynchronously = true;
            core.SetResult(new FlushResult(isCanceled: true, isCompleted: false));
        }

        /// <summary>No more writes; what was written (flushed or not) still goes out, as a pipe's reader would see it.</summary>
        public override void Complete(Exception? exception = null)
        {
            lock (Gate) flushed = pos;
        }

        /// <summary>Completes once the socket took everything written (or failed, or was aborted).</summary>
        public Task DrainedAsync()
        {
            lock (Gate)
            {
                if (!held && !owner.closed) SendLocked();
                if (failed || owner.closed || (sent == flushed && !held)) return Task.CompletedTask;
                drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return drained.Task;
            }
        }

        /// <summary>The socket closes: a waiting flush ends as if the client went away.</summary>
        public void Abort()
        {
            TaskCompletionSource? done;
            bool wake;
            lock (Gate)
            {
                wake = waiting;
                waiting = false;
                done = drained;
                drained = null;
            }
            if (wake)
            {
                core.RunContinuationsAsynchronously = true;
                core.SetResult(new FlushResult(false, isCompleted: true));
            }
            done?.TrySetResult();
        }

        public FlushResult GetResult(short token) => core.GetResult(token);
        public ValueTaskSourceStatus GetStatus(short token) => core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            core.OnCompleted(continuation, state, token, flags);
    }
}
