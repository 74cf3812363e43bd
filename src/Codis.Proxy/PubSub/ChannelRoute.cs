using Codis.Core.Slots;

namespace Codis.Proxy.PubSub;

/// <summary>
/// Which slot carries a channel (docs/pubsub.md). A channel hashes like a key, except the channels of keyspace
/// notifications: codis-server publishes <c>__keyspace@&lt;db&gt;__:&lt;key&gt;</c> on the server that holds the
/// key, so that channel lives at the key's slot; <c>__keyevent@&lt;db&gt;__:&lt;event&gt;</c> is published by
/// every server, so it is subscribed on every master.
/// </summary>
internal static class ChannelRoute
{
    /// <summary>The slot whose master carries <paramref name="channel"/>'s messages.</summary>
    public static int Slot(ReadOnlySpan<byte> channel) =>
        NotificationName(channel, "__keyspace@"u8) is int keyAt ? SlotHash.Slot(channel[keyAt..]) : SlotHash.Slot(channel);

    /// <summary>Whether every master raises messages on <paramref name="channel"/>.</summary>
    public static bool OnEveryMaster(ReadOnlySpan<byte> channel) => NotificationName(channel, "__keyevent@"u8) != null;

    /// <summary>Where the key or event name starts, when the channel is prefix + database digits + "__:".</summary>
    private static int? NotificationName(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> prefix)
    {
        if (!channel.StartsWith(prefix)) return null;
        int i = prefix.Length;
        while (i < channel.Length && channel[i] is >= (byte)'0' and <= (byte)'9') i++;
        if (i == prefix.Length || !channel[i..].StartsWith("__:"u8)) return null;
        return i + 3;
    }
}
