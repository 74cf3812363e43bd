using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// One request waiting for its reply: forwarded to a backend, answered by the proxy, or (for split multi-key
/// commands) the parent of sub-requests. Completed exactly once, from any thread.
/// </summary>
internal class PendingRequest
{
    private Batch? batch;

    public PendingRequest(Batch? batch) => this.batch = batch;

    /// <summary>The raw RESP reply (error replies included), set at completion.</summary>
    public byte[]? Reply { get; private set; }

    public OpInfo? Op { get; init; }

    /// <summary>The command's name when it is not in the table (for stats).</summary>
    public string? UnknownName { get; init; }

    /// <summary>The slot this request is counted in (released at completion, so fills can wait for it).</summary>
    public SlotState? Slot { get; set; }

    /// <summary>The slots a merged part of a multi-key command holds (released at completion like <see cref="Slot"/>).</summary>
    public SlotState[]? HeldSlots { get; set; }

    /// <summary>For sub-requests: the split request they belong to.</summary>
    public MultiRequest? Parent { get; init; }
    public int Index { get; init; }

    /// <summary>When the request was dispatched (for latency stats).</summary>
    public long StartTicks { get; init; }

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
        else batch?.OneDone();
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
/// completes and writes the replies in request order.
/// </summary>
internal sealed class Batch
{
    private int outstanding = 1; // 1 = the session itself, released by Seal()
    private readonly TaskCompletionSource done = new(TaskCreationOptions.None);

    public Task Done => done.Task;

    public void Add() => Interlocked.Increment(ref outstanding);

    /// <summary>All requests of the batch are dispatched.</summary>
    public void Seal() => OneDone();

    public void OneDone()
    {
        if (Interlocked.Decrement(ref outstanding) == 0) done.TrySetResult();
    }
}
