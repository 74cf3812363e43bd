namespace Codis.Server.Storage.Streams;

/// <summary>
/// A consumer group: the last ID delivered to it, its logical read counter (−1 = unknown), its PEL (every
/// delivered, unacknowledged entry, by ID) and its consumers by name.
/// </summary>
internal sealed class StreamGroup(byte[] name, StreamId lastId, long entriesRead)
{
    public const long EntriesReadUnknown = -1;

    public byte[] Name { get; } = name;
    public StreamId LastId { get; set; } = lastId;
    public long EntriesRead { get; set; } = entriesRead;
    public SortedSet<StreamPending> Pending { get; } = new(PendingOrder.Instance);
    public SortedDictionary<byte[], StreamConsumer> Consumers { get; } = new(NameOrder.Instance);

    public StreamPending? FindPending(StreamId id) =>
        Pending.TryGetValue(StreamPending.Probe(id), out var p) ? p : null;

    /// <summary>Drops a pending entry from the group's PEL and its consumer's.</summary>
    public void RemovePending(StreamPending p)
    {
        Pending.Remove(p);
        p.Consumer?.Pending.Remove(p);
    }

    /// <summary>Gives a pending entry to a consumer (moving it out of its previous owner's PEL).</summary>
    public static void Assign(StreamPending p, StreamConsumer consumer)
    {
        if (ReferenceEquals(p.Consumer, consumer)) return;
        p.Consumer?.Pending.Remove(p);
        consumer.Pending.Add(p);
        p.Consumer = consumer;
    }

    public StreamConsumer? FindConsumer(byte[] name) => Consumers.TryGetValue(name, out var c) ? c : null;

    /// <summary>The consumer with this name, created (seen now) when missing.</summary>
    public StreamConsumer GetOrCreateConsumer(byte[] name, long now, out bool created)
    {
        created = !Consumers.TryGetValue(name, out var c);
        if (created) Consumers.Add(name, c = new StreamConsumer(name, now));
        return c!;
    }

    /// <summary>Deletes a consumer and its pending entries; returns how many it had.</summary>
    public int DeleteConsumer(byte[] name)
    {
        if (!Consumers.Remove(name, out var c)) return 0;
        int n = c.Pending.Count;
        foreach (var p in c.Pending) Pending.Remove(p);
        return n;
    }

    /// <summary>Pending entries with start ≤ ID ≤ end, ascending, in a PEL (the group's or a consumer's).</summary>
    public static IEnumerable<StreamPending> Range(SortedSet<StreamPending> pel, StreamId start, StreamId end)
    {
        if (pel.Count == 0 || start > end) return [];
        return pel.GetViewBetween(StreamPending.Probe(start), StreamPending.Probe(end));
    }

    /// <summary>An independent copy sharing nothing mutable (pending entries and consumers are copied).</summary>
    public StreamGroup DeepCopy()
    {
        var g = new StreamGroup(Name, LastId, EntriesRead);
        var consumers = new Dictionary<StreamConsumer, StreamConsumer>(ReferenceEqualityComparer.Instance);
        foreach (var (name, c) in Consumers)
        {
            var copy = new StreamConsumer(name, c.SeenTime);
            g.Consumers.Add(name, copy);
            consumers[c] = copy;
        }
        foreach (var p in Pending)
        {
            var q = new StreamPending(p.Id) { DeliveryTime = p.DeliveryTime, DeliveryCount = p.DeliveryCount };
            g.Pending.Add(q);
            if (p.Consumer != null && consumers.TryGetValue(p.Consumer, out var owner))
            {
                q.Consumer = owner;
                owner.Pending.Add(q);
            }
        }
        return g;
    }
}
