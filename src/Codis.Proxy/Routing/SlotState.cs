using Codis.Core.Models;

namespace Codis.Proxy.Routing;

/// <summary>
/// The live state of one slot: its routing entry, and a count of requests dispatched to it and not yet answered.
/// A fill waits for that count to drain before it switches backends (reference/codis.md §4.6), so a request
/// never overtakes an earlier one on the old owner.
/// </summary>
internal sealed class SlotState(int id)
{
    private int inflight;
    private volatile TaskCompletionSource? gate;   // set while a fill is switching this slot
    private TaskCompletionSource? drained;

    public int Id { get; } = id;
    public volatile SlotModel Model = new() { Id = id };

    /// <summary>Enters the slot for one request; waits while a fill holds it.</summary>
    public ValueTask EnterAsync()
    {
        var g = gate;
        if (g == null)
        {
            Interlocked.Increment(ref inflight);
            if (gate == null) return ValueTask.CompletedTask;
            Leave();
        }
        return new ValueTask(EnterSlowAsync());
    }

    /// <summary>Enters without waiting: false (and not entered) while a fill holds the slot.</summary>
    public bool TryEnter()
    {
        if (gate != null) return false;
        Interlocked.Increment(ref inflight);
        if (gate == null) return true;
        Leave();
        return false;
    }

    private async Task EnterSlowAsync()
    {
        while (true)
        {
            var g = gate;
            if (g != null)
            {
                await g.Task.ConfigureAwait(false);
                continue;
            }
            Interlocked.Increment(ref inflight);
            if (gate == null) return;
            Leave();
        }
    }

    public void Leave()
    {
        if (Interlocked.Decrement(ref inflight) == 0 && gate != null)
            Volatile.Read(ref drained)?.TrySetResult();
    }

    /// <summary>
    /// Blocks new requests, waits for in-flight ones, applies the entry; stays blocked if it says locked.
    /// Fills of one slot must not overlap (the router runs them one at a time).
    /// </summary>
    public async Task FillAsync(SlotModel model, TimeSpan drainTimeout)
    {
        var myGate = gate ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var myDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref drained, myDrained);
        // A full fence between publishing the gate and reading the count: with a plain volatile store the read
        // could pass it, and a request entering at that moment would miss the gate while we miss its count.
        Interlocked.Exchange(ref gate, myGate);
        long deadline = Environment.TickCount64 + (long)drainTimeout.TotalMilliseconds;
        // The signal from Leave is the fast path; the short poll only guards against a missed wake-up.
        while (Volatile.Read(ref inflight) > 0 && Environment.TickCount64 < deadline)
            await Task.WhenAny(myDrained.Task, Task.Delay(20)).ConfigureAwait(false);
        Model = model;
        if (!model.Locked)
        {
            gate = null;
            myGate.TrySetResult();
        }
    }

    public int Inflight => Volatile.Read(ref inflight);

    /// <summary>The master connections of the entry last routed to (see BackendPool.Get); replaced with the entry.</summary>
    public volatile SlotRoute? Route;
}

/// <summary>An entry's master connections, as a slot caches them.</summary>
internal sealed record SlotRoute(SlotModel Model, Backends.BackendPool Pool, Backends.BackendConnection?[] Connections);
