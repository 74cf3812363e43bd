using Codis.Server.Persistence;

namespace Codis.Server.Slots;

/// <summary>
/// One batch of semi-async migration: the keys it moves, the messages still to send, what is in flight, and the
/// keys that changed on this server while their copy travelled (see <see cref="AsyncMigration"/>).
/// </summary>
internal sealed class AsyncBatch
{
    public AsyncBatch(int? slot, long timeout, long maxBulks, long maxBytes)
    {
        Slot = slot;
        Timeout = timeout;
        MaxBulks = maxBulks;
        MaxBytes = maxBytes;
    }

    /// <summary>Slot variants reply [moved, remaining]; key variants reply moved.</summary>
    public int? Slot { get; }
    public long Timeout { get; }

    /// <summary>"host:port" of the target.</summary>
    public string Target { get; set; } = "";
    public long MaxBulks { get; }
    public long MaxBytes { get; }

    /// <summary>Keys whose copy is on its way (the "batch" EXEC-WRAPPER protects).</summary>
    public HashSet<byte[]> Keys { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Keys in the order they were added (their messages go out in this order).</summary>
    public List<byte[]> Order { get; } = new();

    /// <summary>Tag CRCs of the batch's tagged keys (tag-aware membership).</summary>
    public HashSet<uint> TagCrcs { get; } = new();

    /// <summary>Keys written or deleted here after they were serialized: their copy on the target is stale.</summary>
    public HashSet<byte[]> Dirty { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Keys whose possibly stale copy on the target is being deleted (the second phase, or orphans).</summary>
    public HashSet<byte[]> Cleanup { get; } = new(ByteArrayComparer.Instance);

    /// <summary>
    /// Messages not yet handed to the link, in order: encoded messages (byte[]) and big collections whose chunks
    /// are encoded on demand (<see cref="ChunkedValue"/>).
    /// </summary>
    public Queue<object> Pending { get; } = new();

    /// <summary>Collections of this batch sent in chunks (writes to them are forwarded rather than refused).</summary>
    public HashSet<byte[]> Chunked { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Writes run here through SLOTSMGRT-EXEC-WRAPPER on keys of the batch and forwarded to the target.</summary>
    public long Forwarded { get; set; }

    /// <summary>Sizes of the messages sent and not yet acknowledged, oldest first.</summary>
    public Queue<int> InFlight { get; } = new();
    public long InFlightBytes { get; set; }
    /// <summary>Unacknowledged messages over the small-message size (they keep the window shallow).</summary>
    public int InFlightLarge { get; set; }

    /// <summary>False while copying; true in the phase that deletes stale copies on the target.</summary>
    public bool CleaningUp { get; set; }

    public long EstimatedMessages { get; set; }
    public long Moved { get; set; }
    public long LastProgress { get; set; } = Environment.TickCount64;
    public long StartedAt { get; } = Environment.TickCount64;
    public int Gen2AtStart { get; } = GC.CollectionCount(2);

    /// <summary>How long the start (serializing, snapshotting) held the lock.</summary>
    public TimeSpan StartStep { get; set; }

    /// <summary>The longest this batch held the keyspace lock in one step (start, or one acknowledgement).</summary>
    public TimeSpan LongestStep { get; private set; }

    /// <summary>The most CPU one step used (the step's own work, without the waits for a core on a busy machine).</summary>
    public long LongestStepCpuNanos { get; private set; }

    /// <summary>What the step that used the most CPU was doing, and the GCs (gen0/1/2) that ran meanwhile.</summary>
    public string LongestStepKind { get; private set; } = "";

    public void NoteStep(long startTimestamp, long startCpu, string kind, int gcsBefore, TimeSpan pausedBefore)
    {
        var t = System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp);
        if (t > LongestStep) LongestStep = t;
        long cpu = ThreadCpuClock.Nanoseconds() - startCpu;
        if (cpu > LongestStepCpuNanos)
        {
            LongestStepCpuNanos = cpu;
            int gcs = GC.CollectionCount(0) - gcsBefore;
            LongestStepKind = gcs == 0 ? kind : $"{kind}, {gcs} GC pausing {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:F1} ms";
        }
    }

    /// <summary>The reply of the command that started the batch.</summary>
    public TaskCompletionSource<byte[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the key, or (always tag-aware, as the original) a key sharing its tag, is in the batch.</summary>
    public bool Contains(byte[] key)
    {
        if (Keys.Contains(key) || Cleanup.Contains(key)) return true;
        return TagIndex.TryGetTagCrc(key, out uint crc) && TagCrcs.Contains(crc);
    }

    public bool Add(byte[] key)
    {
        if (!Keys.Add(key)) return false;
        Order.Add(key);
        if (TagIndex.TryGetTagCrc(key, out uint crc)) TagCrcs.Add(crc);
        return true;
    }
}
