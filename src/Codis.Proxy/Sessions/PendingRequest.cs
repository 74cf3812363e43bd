using System.Threading.Tasks.Sources;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// One request waiting for its reply: forwarded to a backend, answered by the proxy, or (for split multi-key
/// commands) the parent of sub-requests. Completed exactly once, from any thread.
/// </summary>
internal class PendingRequest
{
    private Batch? batch;
    private int batchGeneration;

    public PendingRequest(Batch? batch)
    {
        this.batch = batch;
        batchGeneration = batch?.Generation ?? 0;
    }

    /// <summary>The raw RESP reply (error replies included), set at completion.</summary>
    public byte[]? Reply { get; private set; }

    public OpInfo? Op { get => op; init => op = value; }
    private OpInfo? op;

    /// <summary>The command's name when it is not in the table (for stats).</summary>
    public string? UnknownName { get => unknownName; init => unknownName = value; }
    private string? unknownName;

    /// <summary>The slot this request is counted in (released at completion, so fills can wait for it).</summary>
    public SlotState? Slot { get; set; }

    /// <summary>The slots a merged part of a multi-key command holds (released at completion like <see cref="Slot"/>).</summary>
    public SlotState[]? HeldSlots { get; set; }

    /// <summary>For sub-requests: the split request they belong to.</summary>
    public MultiRequest? Parent { get; init; }
    public int Index { get; init; }

    /// <summary>When the request was dispatched (for latency stats).</summary>
    public long StartTicks { get => startTicks; init => startTicks = value; }
    private long startTicks;

    /// <summary>
    /// A session's plain forwarded request (one key, one backend), reused by that session once its reply is
    /// written: only the backend connection's queue holds it meanwhile, and it drops it before completing it.
    /// </summary>
    public bool Recyclable { get; private set; }

    /// <summary>A plain forwarded request of <paramref name="owner"/>'s batch (see <see cref="Recyclable"/>).</summary>
    public static PendingRequest Forwarded(Batch owner, OpInfo? op, string? unknownName, long startTicks) =>
        new(owner) { Op = op, UnknownName = unknownName, StartTicks = startTicks, Recyclable = true };

    /// <summary>Makes a written <see cref="Recyclable"/> request a new one of <paramref name="owner"/>'s current batch.</summary>
    public void Reuse(Batch owner, OpInfo? op, string? unknownName, long startTicks)
    {
        batch = owner;
        batchGeneration = owner.Generation;
        Reply = null;
        IsDone = false;
        AwaitsReplicas = false;
        this.op = op;
        this.unknownName = unknownName;
        this.startTicks = startTicks;
    }

    /// <summary>Called after completion: a proxy-side continuation (e.g. a migration pre-step).</summary>
    public Action<PendingRequest>? Continuation { get; set; }

    public bool IsDone { get; private set; }

    /// <summary>
    /// Counts as a write for backend_replica_ack: a write command, an unknown one (forwarded as a write), or a
    /// migration pre-step that may run the client's write on the source (<see cref="RunsWrite"/>).
    /// </summary>
    public bool IsWrite => RunsWrite || (Op?.IsWrite ?? UnknownName != null);

    /// <summary>Set on a proxy-made request that carries a client's write (SLOTSMGRT-EXEC-WRAPPER).</summary>
    public bool RunsWrite { get; init; }

    /// <summary>With <see cref="RunsWrite"/>: whether a reply says the write ran (others are not held for replicas).</summary>
    public Func<byte[], bool>? RanWrite { get; init; }

    /// <summary>Set by the backend connection: its reply is held until the WAIT behind it says enough replicas have it.</summary>
    internal bool AwaitsReplicas { get; set; }

    public void Complete(byte[] reply)
    {
        Reply = reply;
        var slot = Slot;
        Slot = null;
        slot?.Leave();
        if (HeldSlots is { } held)
        {
            HeldSlots = null;
            foreach (var h in held) h.Leave();
        }
        IsDone = true;
        if (Continuation is { } c)
        {
            Continuation = null;
            c(this);
            return;
        }
        if (Parent != null) Parent.ChildDone(this);
        else batch?.OneDone(batchGeneration);
    }

    public void Fail(string message) => Complete(Replies.Error(message));
}

/// <summary>A multi-key command split by slot; completes when every part has.</summary>
internal sealed class MultiRequest : PendingRequest
{
    private int remaining;
    private readonly Func<MultiRequest, byte[]> merge;

    public MultiRequest(Batch? batch, int parts, Func<MultiRequest, byte[]> merge) : base(batch)
    {
        Children = new PendingRequest[parts];
        remaining = parts;
        this.merge = merge;
    }

    public PendingRequest[] Children { get; }

    public void ChildDone(PendingRequest child)
    {
        if (Interlocked.Decrement(ref remaining) == 0) Complete(merge(this));
    }
}

/// <summary>
/// The requests a session read in one go. The session forwards them all, then waits here until the last one
/// completes and writes the replies in request order. One per session, reused batch after batch (no task or
/// completion source per read): a request counts against the generation it was made in, so a completion that
/// could ever come late would be ignored rather than count against the next batch.
/// </summary>
internal sealed class Batch : IValueTaskSource
{
    // Until sealed, the count of unanswered requests carries this bias, so no completion can bring it to zero; the
    // session counts what it tracks without atomics and Seal removes the bias less that count in one step.
    private const int Unsealed = 1 << 30;
    private int outstanding = Unsealed;
    private int tracked;          // the session's thread only
    private int generation = 1;
    private volatile bool done;
    // Continuations run inline on the completing thread (the loop thread that read the last reply), as before.
    private ManualResetValueTaskSourceCore<bool> core = new() { RunContinuationsAsynchronously = false };

    public int Generation => Volatile.Read(ref generation);

    /// <summary>Every request of the batch completed (and the batch is sealed).</summary>
    public bool IsDone => done;

    /// <summary>One more request of the batch (called by the session, before the request can complete).</summary>
    public void Add() => tracked++;

    /// <summary>All requests of the batch are dispatched.</summary>
    public void Seal()
    {
        if (Interlocked.Add(ref outstanding, tracked - Unsealed) == 0) Complete();
    }

    public void OneDone(int gen)
    {
        if (gen == Volatile.Read(ref generation) && Interlocked.Decrement(ref outstanding) == 0) Complete();
    }

    private void Complete()
    {
        done = true;
        core.SetResult(true);
    }

    /// <summary>Completes once the sealed batch is done; awaited once per batch.</summary>
    public ValueTask WaitAsync() => new(this, core.Version);

    /// <summary>Starts the next batch; the previous one is done.</summary>
    public void Next()
    {
        core.Reset();
        done = false;
        tracked = 0;
        Volatile.Write(ref outstanding, Unsealed);
        Interlocked.Increment(ref generation);
    }

    void IValueTaskSource.GetResult(short token) => core.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => core.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
