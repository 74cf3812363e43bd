using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace Codis.Core.Networking.EventLoop;

public sealed partial class LoopSocket
{
    /// <summary>
    /// The connection's reader: one array, received into by the loop only while the connection waits in ReadAsync
    /// (a client blocked in BLPOP, waiting for a deferred reply or paused is not read from). Bytes before
    /// <c>start</c> were consumed; the array is compacted or grown in place when a request does not fit, which is
    /// safe because a connection keeps no view of its input across reads (an incomplete request is re-parsed from
    /// the offsets it saved, against the memory it is given next).
    /// </summary>
    private sealed class LoopInput(LoopSocket owner) : PipeReader, IValueTaskSource<ReadResult>, ICancellableWait
    {
        // Empty while no byte waits: an idle connection holds no buffer (a block of the loop's pool otherwise).
        private byte[] buffer = [];
        private int start, end;
        private bool examinedAll;   // the reader looked at every byte: the next read waits for new ones
        private bool waiting;       // a ReadAsync is pending: received bytes complete it
        private bool readPending;   // an edge came while nobody waited: read when the connection asks again
        private bool cancelNext;    // CancelPendingRead came while nobody waited
        private bool ended;         // end of stream (or the socket closed): reads complete with IsCompleted
        private Exception? failure; // recv failed: reads throw it
        private ManualResetValueTaskSourceCore<ReadResult> core; // RunContinuationsAsynchronously = false: inline
        private CancellationTokenRegistration cancelRegistration;
        private Action? onReadable;

        private Lock Gate => owner.gate;

        private ReadOnlySequence<byte> Data => new(buffer, start, end - start);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<ReadResult>(cancellationToken);
            bool post;
            short version;
            lock (Gate)
            {
                if (TryTakeLocked(out var ready)) return new ValueTask<ReadResult>(ready);
                waiting = true;
                core.Reset();
                version = core.Version;
                post = readPending;
                readPending = false;
            }
            // Only replication's ack reader and a monitor's input drain pass a token.
            if (cancellationToken.CanBeCanceled) owner.WatchToken(cancellationToken, this, version, ref cancelRegistration);
            if (post) owner.loop.Post(onReadable ??= OnReadable);
            return new ValueTask<ReadResult>(this, version);
        }

        /// <summary>What a read returns at once: new bytes, a cancellation, the end or an error.</summary>
        private bool TryTakeLocked(out ReadResult result)
        {
            if (failure != null) throw new IOException(failure.Message, failure);
            if (cancelNext)
            {
                cancelNext = false;
                result = new ReadResult(Data, isCanceled: true, isCompleted: ended);
                return true;
            }
            if ((end > start && !examinedAll) || ended)
            {
                result = new ReadResult(Data, isCanceled: false, isCompleted: ended);
                return true;
            }
            result = default;
            return false;
        }

        public override bool TryRead(out ReadResult result)
        {
            lock (Gate) return TryTakeLocked(out result);
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            // Positions of a sequence over one array carry the array index. The loop does not touch the
            // buffer while nobody waits, so the reader moves start without the lock.
            int c = consumed.GetObject() == null ? start : consumed.GetInteger();
            int e = examined.GetObject() == null ? c : examined.GetInteger();
            if (c < start || c > end || e < c || e > end)
                throw new InvalidOperationException("AdvanceTo: position outside the last read buffer");
            start = c;
            examinedAll = e == end;
            if (start == end)
            {
                start = end = 0;
                examinedAll = false;
                // Consumed bytes are not looked at again (the PipeReader contract): the block goes back to the pool.
                // A buffer grown for big requests is kept for the next one, up to KeptSize.
                if (buffer.Length == BufferSize) owner.loop.Pool.ReturnArray(buffer);
                if (buffer.Length <= BufferSize || buffer.Length > KeptSize) buffer = [];
            }
        }

        /// <summary>On the loop thread: receives into the buffer while the connection waits, running it inline.</summary>
        public void OnReadable()
        {
            while (true)
            {
                ReadResult result;
                CancellationTokenRegistration registration;
                bool full;
                lock (Gate)
                {
                    if (ended || failure != null || owner.closed) return;
                    if (!waiting)
                    {
                        readPending = true;
                        return;
                    }
                    MakeRoom();
                    var space = buffer.AsSpan(end);
                    // Under the lock: a cancelled wait hands the buffer back to the reader at any moment.
                    int n = owner.Receive(space);
                    if (n == -Epoll.EAGAIN) return; // drained: the next arrival is a new edge
                    if (n == -Epoll.EINTR) continue;
                    if (n > 0)
                    {
                        end += n;
                        examinedAll = false;
                        // A short read emptied the socket buffer: the next arrival is a new edge. Not so for the end of
                        // the stream, whose edge may have come with the data: then read on until recv says 0.
                        full = n == space.Length || owner.peerClosed;
                    }
                    else
                    {
                        if (n == 0) ended = true;
                        else failure = new IOException($"recv failed: errno {-n}");
                        full = false;
                    }
                    waiting = false;
                    result = new ReadResult(Data, isCanceled: false, isCompleted: ended);
                    registration = cancelRegistration;
                    cancelRegistration = default;
                }
                registration.Dispose();
                core.RunContinuationsAsynchronously = false;
                if (failure != null) core.SetException(failure);
                else core.SetResult(result); // runs the connection's parse-execute-reply inline
                if (!full) return;
            }
        }

        /// <summary>Room for the next receive: move the unconsumed bytes to the front, or grow for a big request.</summary>
        private void MakeRoom()
        {
            if (buffer.Length == 0)
            {
                buffer = owner.loop.Pool.RentArray();
                return;
            }
            if (end < buffer.Length) return;
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
                if (end < buffer.Length) return;
            }
            var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)buffer.Length * 2, Array.MaxLength));
            buffer.AsSpan(0, end).CopyTo(bigger);
            buffer = bigger;
        }

        public override void CancelPendingRead()
        {
            ReadResult result;
            lock (Gate)
            {
                if (!waiting)
                {
                    cancelNext = true;
                    return;
                }
                waiting = false;
                result = new ReadResult(Data, isCanceled: true, isCompleted: ended);
            }
            // A push from a client of this loop wakes the connection inline, as the pipe's inline scheduler did;
            // from another thread, the connection resumes on the pool rather than inside that thread's work.
            core.RunContinuationsAsynchronously = !owner.loop.IsCurrent;
            core.SetResult(result);
        }

        public void CancelWait(short version, CancellationToken token)
        {
            lock (Gate)
            {
                if (!waiting || core.Version != version) return; // that read completed; a later one waits
                waiting = false;
            }
            core.RunContinuationsAsynchronously = !owner.loop.IsCurrent;
            core.SetException(new OperationCanceledException(token));
        }

        /// <summary>The socket closes: a pending read ends as at the end of the stream.</summary>
        public void Abort()
        {
            ReadResult result;
            lock (Gate)
            {
                ended = true;
                if (!waiting) return;
                waiting = false;
                result = new ReadResult(Data, isCanceled: false, isCompleted: true);
            }
            core.RunContinuationsAsynchronously = true; // not inside the closing code
            core.SetResult(result);
        }

        public override void Complete(Exception? exception = null)
        {
            lock (Gate) ended = true;
        }

        public ReadResult GetResult(short token) => core.GetResult(token);
        public ValueTaskSourceStatus GetStatus(short token) => core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            core.OnCompleted(continuation, state, token, flags);
    }
}
