using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Codis.Core.Logging;

namespace Codis.Core.Networking.EventLoop;

/// <summary>
/// One thread waiting in epoll_wait for many client sockets (edge-triggered, registered once) and serving
/// whatever became readable or writable right there: the read, the commands (inline pipe continuations) and the
/// reply's write happen on this thread, with no hop to the thread pool and no extra empty read per request.
/// Work from other threads (resume reading, close a socket) is posted and picked up after each wake-up.
/// Shared by codis-server (clients) and codis-proxy (clients and backends).
/// </summary>
public sealed unsafe class EventLoop
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = 0;

    private readonly int epfd;
    private readonly int wakeFd;
    private readonly ConcurrentQueue<Action> posted = new();
    private int wakePending;
    private readonly Thread thread;

    [ThreadStatic] private static EventLoop? current;
    private bool inRound;         // handling a round of events (loop thread only)
    private bool commitPending;   // work of this round was left to the round's end (the server's AOF commit)
    private readonly Action? commit;
    private readonly List<IRoundEndWork> atRoundEnd = new();

    /// <param name="index">names the thread</param>
    /// <param name="commit">what a round that called <see cref="DeferCommit"/> runs before its held replies go
    /// out (codis-server: writes, and by appendfsync syncs, what this round's commands appended to the AOF)</param>
    /// <param name="name">the thread name's prefix</param>
    public EventLoop(int index, Action? commit = null, string name = "event-loop")
    {
        this.commit = commit;
        epfd = Epoll.Create();
        wakeFd = Epoll.CreateEventFd();
        int err = Epoll.Control(epfd, Epoll.CtlAdd, wakeFd, Epoll.In, WakeToken);
        if (err != 0) throw new IOException($"epoll_ctl(eventfd) failed: errno {err}");
        thread = new Thread(Run) { IsBackground = true, Name = $"{name}-{index}" };
        thread.Start();
    }

    /// <summary>The pipe buffers of this loop's connections.</summary>
    public BlockPool Pool { get; } = new();

    /// <summary>Whether the calling thread is this loop's thread.</summary>
    public bool IsCurrent => current == this;

    /// <summary>The loop whose thread is calling, if any.</summary>
    public static EventLoop? Current => current;

    /// <summary>
    /// Adds a socket (edge-triggered in and out, once); its events go to <paramref name="connection"/>. Free the
    /// handle on the loop thread after <see cref="Unregister"/>, so no event of this round still points at it.
    /// </summary>
    public GCHandle Register(nint fd, IEventLoopHandler connection)
    {
        var handle = GCHandle.Alloc(connection);
        int err = Epoll.Control(epfd, Epoll.CtlAdd, (int)fd,
            Epoll.In | Epoll.Out | Epoll.RdHup | Epoll.EdgeTriggered, (ulong)GCHandle.ToIntPtr(handle));
        if (err != 0)
        {
            handle.Free();
            throw new IOException($"epoll_ctl(add) failed: errno {err}");
        }
        return handle;
    }

    /// <summary>Removes a socket; the caller is on the loop thread, so no event for it is being handled.</summary>
    public void Unregister(nint fd) => Epoll.Control(epfd, Epoll.CtlDel, (int)fd, 0, 0);

    /// <summary>
    /// Called by the server after a batch ran: on a loop thread, the AOF commit waits for the end of the round so
    /// that one write (and fsync) covers every client served in it, as Redis does before it sleeps; the round's
    /// replies are sent after it (<see cref="DeferToRoundEnd"/>), so a client never hears OK before its write is committed.
    /// Returns false elsewhere: the caller commits itself.
    /// </summary>
    public static bool DeferCommit()
    {
        var loop = current;
        if (loop is not { inRound: true, commit: not null }) return false;
        loop.commitPending = true;
        return true;
    }

    /// <summary>
    /// On a loop thread within a round: runs <paramref name="work"/> once this round's events are handled and its
    /// AOF commit is done, before the loop sleeps. Replies go out this way, all at once after the round's reads as
    /// Redis writes them before it sleeps (a client woken by one reply then finds the others ready too), and never
    /// before the write they acknowledge is committed; codis-proxy sends each backend what all its clients of the
    /// round asked in one write, as twemproxy does. Returns false elsewhere: the caller does the work itself.
    /// </summary>
    public static bool DeferToRoundEnd(IRoundEndWork work)
    {
        var loop = current;
        if (loop is not { inRound: true }) return false;
        loop.atRoundEnd.Add(work);
        return true;
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread after its current round of events.</summary>
    public void Post(Action work)
    {
        posted.Enqueue(work);
        if (Interlocked.Exchange(ref wakePending, 1) == 0) Epoll.Signal(wakeFd);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Run()
    {
        current = this;
        Pool.BindToCurrentThread();
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * Epoll.EventSize));
        while (true)
        {
            EndRound();
            int n = Epoll.Wait(epfd, events, MaxEvents, -1);
            if (n < 0)
            {
                if (-n == Epoll.EINTR) continue;
                Log.Error("epoll_wait failed: the event loop stops", ("errno", -n));
                return;
            }
            inRound = true;
            for (int i = 0; i < n; i++)
            {
                ulong data = Epoll.DataAt(events, i);
                if (data == WakeToken)
                {
                    Epoll.DrainEventFd(wakeFd);
                    Interlocked.Exchange(ref wakePending, 0); // a full fence: posts enqueued before it are seen below
                    continue;
                }
                uint ev = Epoll.EventsAt(events, i);
                try
                {
                    // Register only ever stores handlers: no type check per event.
                    if (GCHandle.FromIntPtr((nint)data).Target is { } target) System.Runtime.CompilerServices.Unsafe.As<IEventLoopHandler>(target).OnEvents(ev);
                }
                catch (Exception e)
                {
                    Log.Error("event loop: a connection's event failed", ("error", e.ToString()));
                }
            }
            RunPosted();
        }
    }

    /// <summary>Before sleeping: the round's AOF commit, then the work that waited for it (the round's replies).</summary>
    private void EndRound()
    {
        inRound = false;
        if (commitPending)
        {
            commitPending = false;
            try { commit!(); }
            catch (Exception e) { Log.Error("event loop: AOF commit failed", ("error", e.ToString())); }
        }
        if (atRoundEnd.Count > 0)
        {
            // Work done here that defers again runs at once: DeferToRoundEnd sees the round over.
            foreach (var work in atRoundEnd)
            {
                try { work.OnRoundEnd(); }
                catch (Exception e) { Log.Error("event loop: round-end work failed", ("error", e.ToString())); }
            }
            atRoundEnd.Clear();
        }
    }

    private void RunPosted()
    {
        // Only what was posted before this round: work that posts more runs in the next round, after epoll_wait.
        int count = posted.Count;
        while (count-- > 0 && posted.TryDequeue(out var work))
        {
            try { work(); }
            catch (Exception e) { Log.Error("event loop: posted work failed", ("error", e.ToString())); }
        }
        if (!posted.IsEmpty && Interlocked.Exchange(ref wakePending, 1) == 0) Epoll.Signal(wakeFd);
    }
}
