using System.Buffers;
using System.Buffers.Text;
using Codis.Core.Config;
using Codis.Core.Text;
using Codis.Server.Networking;
using Codis.Server.Persistence;

namespace Codis.Server.PubSub;

/// <summary>
/// Every channel and pattern subscription of the server (under the keyspace lock) and PUBLISH's delivery: one
/// encoded frame per channel or matching pattern, copied into each subscriber's <see cref="PushOutbox"/>.
/// </summary>
internal sealed class PubSubHub
{
    private readonly Dictionary<byte[], List<Subscriber>> channels = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>> patterns = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>> shardChannels = new(ByteArrayComparer.Instance);
    private readonly ArrayBufferWriter<byte> frame = new(256);

    public PubSubHub(Settings settings)
    {
        var setting = settings["client-output-buffer-limit"];
        Limit = ParseLimit(setting.Value) ?? OutputLimit.PubSubDefault;
        setting.Changed = s => Limit = ParseLimit(s.Value) ?? OutputLimit.PubSubDefault;
    }

    /// <summary>client-output-buffer-limit's pubsub class.</summary>
    public OutputLimit Limit { get; private set; }

    /// <summary>Channels with at least one subscriber (INFO pubsub_channels).</summary>
    public int ChannelCount => channels.Count;

    /// <summary>Distinct patterns with at least one subscriber (INFO pubsub_patterns, PUBSUB NUMPAT).</summary>
    public int PatternCount => patterns.Count;

    /// <summary>Whether anyone subscribes to a channel or pattern at all (keyspace events are built only then).</summary>
    public bool HasSubscribers => channels.Count != 0 || patterns.Count != 0;

    /// <summary>Sharded channels with at least one subscriber (INFO pubsubshard_channels).</summary>
    public int ShardChannelCount => shardChannels.Count;

    /// <summary>What a RESP2 client in the subscribed state may still run (a RESP3 client runs anything).</summary>
    public static bool AllowedWhenSubscribed(Commands.CommandSpec spec) =>
        spec.Name is "ping" or "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe" or "ssubscribe" or "sunsubscribe"
            or "quit" or "reset";

    /// <summary>The name Redis shows in errors: "client|list" for a container's known subcommand.</summary>
    public static string FullName(Commands.CommandSpec spec, Codis.Core.Resp.RespRequest request) => spec.Resolve(request).Name;

    /// <summary>The client's subscriber state, created on its first subscription.</summary>
    public static Subscriber For(ClientSession session) =>
        session.Subscriber ??= new Subscriber(session, session.Push ??= new PushOutbox(session));

    public bool Subscribe(Subscriber s, ReadOnlySpan<byte> channel, bool shard = false) =>
        Attach(shard ? s.ShardChannels : s.Channels, shard ? shardChannels : channels, s, channel);

    public bool Unsubscribe(Subscriber s, ReadOnlySpan<byte> channel, bool shard = false)
    {
        var mine = shard ? s.ShardChannels : s.Channels;
        if (!mine.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var key)) return false;
        mine.Remove(key);
        Detach(shard ? shardChannels : channels, key, s);
        return true;
    }

    private static bool Attach(HashSet<byte[]> mine, Dictionary<byte[], List<Subscriber>> map, Subscriber s, ReadOnlySpan<byte> channel)
    {
        if (mine.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(channel)) return false;
        var key = channel.ToArray();
        mine.Add(key);
        if (!map.TryGetValue(key, out var list)) map[key] = list = new List<Subscriber>(1);
        list.Add(s);
        return true;
    }

    public bool PSubscribe(Subscriber s, ReadOnlySpan<byte> pattern)
    {
        if (s.PatternIndex(pattern) >= 0) return false;
        var key = pattern.ToArray();
        s.Patterns.Add(key);
        if (!patterns.TryGetValue(key, out var list)) patterns[key] = list = new List<Subscriber>(1);
        list.Add(s);
        return true;
    }

    public bool PUnsubscribe(Subscriber s, ReadOnlySpan<byte> pattern)
    {
        int i = s.PatternIndex(pattern);
        if (i < 0) return false;
        var key = s.Patterns[i];
        s.Patterns.RemoveAt(i);
        Detach(patterns, key, s);
        return true;
    }

    private static void Detach(Dictionary<byte[], List<Subscriber>> map, byte[] key, Subscriber s)
    {
        if (!map.TryGetValue(key, out var list)) return;
        list.Remove(s);
        if (list.Count == 0) map.Remove(key);
    }

    /// <summary>A client closed (or RESET): all its subscriptions go, without replies.</summary>
    public void RemoveAll(Subscriber s)
    {
        foreach (var c in s.Channels) Detach(channels, c, s);
        foreach (var p in s.Patterns) Detach(patterns, p, s);
        foreach (var c in s.ShardChannels) Detach(shardChannels, c, s);
        s.Channels.Clear();
        s.Patterns.Clear();
        s.ShardChannels.Clear();
    }

    /// <summary>PUBLISH: delivers to channel subscribers, then to matching patterns; returns how many received it.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        int receivers = 0;
        var limit = Limit;
        if (channels.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list))
        {
            frame.ResetWrittenCount();
            WriteHeader(3);
            WriteBulk("message"u8);
            WriteBulk(channel);
            WriteBulk(message);
            foreach (var s in list)
            {
                s.Outbox.Push(frame.WrittenSpan, limit);
                receivers++;
            }
        }
        if (patterns.Count == 0) return receivers;
        foreach (var (pattern, subs) in patterns)
        {
            if (!Glob.Match(pattern, channel)) continue;
            frame.ResetWrittenCount();
            WriteHeader(4);
            WriteBulk("pmessage"u8);
            WriteBulk(pattern);
            WriteBulk(channel);
            WriteBulk(message);
            foreach (var s in subs)
            {
                s.Outbox.Push(frame.WrittenSpan, limit);
                receivers++;
            }
        }
        return receivers;
    }

    /// <summary>SPUBLISH: to the sharded channel's subscribers only (no patterns); returns how many received it.</summary>
    public int ShardPublish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        if (!shardChannels.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list)) return 0;
        frame.ResetWrittenCount();
        WriteHeader(3);
        WriteBulk("smessage"u8);
        WriteBulk(channel);
        WriteBulk(message);
        var limit = Limit;
        foreach (var s in list) s.Outbox.Push(frame.WrittenSpan, limit);
        return list.Count;
    }

    /// <summary>PUBSUB (SHARD)CHANNELS [pattern]: the active channels (in no particular order, as Redis).</summary>
    public List<byte[]> ActiveChannels(ReadOnlySpan<byte> pattern, bool all, bool shard = false)
    {
        var result = new List<byte[]>();
        foreach (var c in (shard ? shardChannels : channels).Keys)
            if (all || Glob.Match(pattern, c)) result.Add(c);
        return result;
    }

    /// <summary>PUBSUB (SHARD)NUMSUB: subscribers of one channel (patterns not counted).</summary>
    public int SubscriberCount(ReadOnlySpan<byte> channel, bool shard = false) =>
        (shard ? shardChannels : channels).GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list) ? list.Count : 0;

    private void WriteHeader(int count)
    {
        var span = frame.GetSpan(16);
        span[0] = (byte)'*';
        Utf8Formatter.TryFormat(count, span[1..], out int n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        frame.Advance(n + 3);
    }

    private void WriteBulk(ReadOnlySpan<byte> value)
    {
        var span = frame.GetSpan(value.Length + 24);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out int n);
        int pos = n + 1;
        span[pos++] = (byte)'\r';
        span[pos++] = (byte)'\n';
        value.CopyTo(span[pos..]);
        pos += value.Length;
        span[pos++] = (byte)'\r';
        span[pos++] = (byte)'\n';
        frame.Advance(pos);
    }

    /// <summary>
    /// The pubsub class of a client-output-buffer-limit value ("normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"),
    /// null when the value has none.
    /// </summary>
    public static OutputLimit? ParseLimit(string value)
    {
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 3 < words.Length; i += 4)
        {
            if (!words[i].Equals("pubsub", StringComparison.OrdinalIgnoreCase)) continue;
            if (Settings.TryParseMemory(words[i + 1], out long hard) && Settings.TryParseMemory(words[i + 2], out long soft)
                && long.TryParse(words[i + 3], out long seconds))
                return new OutputLimit(hard, soft, seconds);
        }
        return null;
    }

    /// <summary>Validates a client-output-buffer-limit value as Redis does: groups of class, hard, soft, seconds.</summary>
    public static string? ValidateLimit(string value)
    {
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
        for (int i = 0; i < words.Length; i += 4)
        {
            if (words[i].ToLowerInvariant() is not ("normal" or "slave" or "replica" or "pubsub"))
                return "Invalid client class specified in buffer limit configuration.";
            if (!Settings.TryParseMemory(words[i + 1], out long hard) || hard < 0 || !Settings.TryParseMemory(words[i + 2], out long soft) || soft < 0
                || !long.TryParse(words[i + 3], out long seconds) || seconds < 0)
                return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        }
        return null;
    }
}
