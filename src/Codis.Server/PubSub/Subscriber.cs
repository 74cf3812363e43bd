using Codis.Server.Networking;
using Codis.Server.Persistence;

namespace Codis.Server.PubSub;

/// <summary>The channels and patterns one client is subscribed to, and the outbox its messages go to.</summary>
internal sealed class Subscriber(ClientSession session, PushOutbox outbox)
{
    public ClientSession Session { get; } = session;
    public PushOutbox Outbox { get; } = outbox;

    public HashSet<byte[]> Channels { get; } = new(ByteArrayComparer.Instance);

    /// <summary>In subscription order (PUNSUBSCRIBE without arguments answers in that order, as Redis's list).</summary>
    public List<byte[]> Patterns { get; } = new();

    /// <summary>Sharded channels (SSUBSCRIBE): a namespace of their own, counted apart from the others.</summary>
    public HashSet<byte[]> ShardChannels { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Channels and patterns: the count (P)SUBSCRIBE confirmations carry.</summary>
    public int Count => Channels.Count + Patterns.Count;

    /// <summary>Any subscription at all: the client is in the subscribed state.</summary>
    public bool Any => Channels.Count + Patterns.Count + ShardChannels.Count > 0;

    public int PatternIndex(ReadOnlySpan<byte> pattern)
    {
        for (int i = 0; i < Patterns.Count; i++)
            if (Patterns[i].AsSpan().SequenceEqual(pattern)) return i;
        return -1;
    }
}
