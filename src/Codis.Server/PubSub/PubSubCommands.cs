using Codis.Server.Commands;

namespace Codis.Server.PubSub;

/// <summary>
/// SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB, and the sharded SSUBSCRIBE SUNSUBSCRIBE SPUBLISH
/// (without Redis Cluster a namespace of their own, as in a standalone Redis 7), with RESP2 replies as Redis 7.0 sends them. A
/// client with any subscription is in the subscribed state (<see cref="Networking.ClientSession.InPubSubMode"/>):
/// in RESP2 the server then refuses everything but these, PING, QUIT and RESET; in RESP3 any command runs, and
/// messages and confirmations are push frames. Pub/sub is not written to the AOF; PUBLISH
/// goes to replicas (as in Redis), so a replica's subscribers get the master's messages too.
/// </summary>
internal static class PubSubCommands
{
    [Command("subscribe", -2, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "pubsub", Summary = "Listens for messages published to channels.")]
    public static void Subscribe(CommandContext ctx)
    {
        var hub = ctx.Server.PubSub;
        var s = PubSubHub.For(ctx.Client);
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            hub.Subscribe(s, ctx.Arg(i));
            WriteConfirmation(ctx, "subscribe"u8, ctx.Arg(i), s.Count);
        }
    }

    [Command("unsubscribe", -1, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "pubsub", Summary = "Stops listening to messages posted to channels.")]
    public static void Unsubscribe(CommandContext ctx)
    {
        var hub = ctx.Server.PubSub;
        var s = ctx.Client.Subscriber;
        if (ctx.ArgCount == 1)
        {
            if (s == null || s.Channels.Count == 0)
            {
                WriteConfirmation(ctx, "unsubscribe"u8, null, s?.Count ?? 0);
                return;
            }
            foreach (var channel in s.Channels.ToArray())
            {
                hub.Unsubscribe(s, channel);
                WriteConfirmation(ctx, "unsubscribe"u8, channel, s.Count);
            }
            return;
        }
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            if (s != null) hub.Unsubscribe(s, ctx.Arg(i));
            WriteConfirmation(ctx, "unsubscribe"u8, ctx.Arg(i), s?.Count ?? 0);
        }
    }

    [Command("psubscribe", -2, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "pubsub", Summary = "Listens for messages published to channels that match one or more patterns.")]
    public static void PSubscribe(CommandContext ctx)
    {
        var hub = ctx.Server.PubSub;
        var s = PubSubHub.For(ctx.Client);
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            hub.PSubscribe(s, ctx.Arg(i));
            WriteConfirmation(ctx, "psubscribe"u8, ctx.Arg(i), s.Count);
        }
    }

    [Command("punsubscribe", -1, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "pubsub", Summary = "Stops listening to messages published to channels that match one or more patterns.")]
    public static void PUnsubscribe(CommandContext ctx)
    {
        var hub = ctx.Server.PubSub;
        var s = ctx.Client.Subscriber;
        if (ctx.ArgCount == 1)
        {
            if (s == null || s.Patterns.Count == 0)
            {
                WriteConfirmation(ctx, "punsubscribe"u8, null, s?.Count ?? 0);
                return;
            }
            foreach (var pattern in s.Patterns.ToArray())
            {
                hub.PUnsubscribe(s, pattern);
                WriteConfirmation(ctx, "punsubscribe"u8, pattern, s.Count);
            }
            return;
        }
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            if (s != null) hub.PUnsubscribe(s, ctx.Arg(i));
            WriteConfirmation(ctx, "punsubscribe"u8, ctx.Arg(i), s?.Count ?? 0);
        }
    }

    [Command("ssubscribe", -2, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, FirstKey = 1, LastKey = -1, Step = 1, Group = "pubsub", Summary = "Listens for messages published to shard channels.")]
    public static void SSubscribe(CommandContext ctx)
    {
        var hub = ctx.Server.PubSub;
        var s = PubSubHub.For(ctx.Client);
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            hub.Subscribe(s, ctx.Arg(i), shard: true);
            WriteConfirmation(ctx, "ssubscribe"u8, ctx.Arg(i), s.ShardChannels.Count);
        }
    }

    [Command("sunsubscribe", -1, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, FirstKey = 1, LastKey = -1, Step = 1, Group = "pubsub", Summary = "Stops listening to messages posted to shard channels.")]
    public static void SUnsubscribe(CommandContext ctx)
    {
        var hub = ctx.Server.PubSub;
        var s = ctx.Client.Subscriber;
        if (ctx.ArgCount == 1)
        {
            if (s == null || s.ShardChannels.Count == 0)
            {
                WriteConfirmation(ctx, "sunsubscribe"u8, null, 0);
                return;
            }
            foreach (var channel in s.ShardChannels.ToArray())
            {
                hub.Unsubscribe(s, channel, shard: true);
                WriteConfirmation(ctx, "sunsubscribe"u8, channel, s.ShardChannels.Count);
            }
            return;
        }
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            if (s != null) hub.Unsubscribe(s, ctx.Arg(i), shard: true);
            WriteConfirmation(ctx, "sunsubscribe"u8, ctx.Arg(i), s?.ShardChannels.Count ?? 0);
        }
    }

    [Command("spublish", 3, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.MayReplicate, FirstKey = 1, LastKey = 1, Step = 1, Group = "pubsub", Summary = "Post a message to a shard channel")]
    public static void SPublish(CommandContext ctx)
    {
        int receivers = ctx.Server.PubSub.ShardPublish(ctx.Arg(1), ctx.Arg(2));
        if (!ctx.Client.IsMasterLink && !ctx.Client.IsReplay) ctx.Server.Propagation.EmitToReplicas(ctx.Client.DbIndex, ctx.Args);
        ctx.Reply.WriteInteger(receivers);
    }

    /// <summary>*3: the kind, the channel or pattern (null when there was none to leave), the client's subscription count.</summary>
    private static void WriteConfirmation(CommandContext ctx, ReadOnlySpan<byte> kind, ReadOnlySpan<byte> name, int count) =>
        WriteConfirmation(ctx, kind, name.ToArray(), count);

    private static void WriteConfirmation(CommandContext ctx, ReadOnlySpan<byte> kind, byte[]? name, int count)
    {
        var r = ctx.Reply;
        r.WritePushHeader(3); // a push in RESP3, as Redis 7.0 sends confirmations
        r.WriteBulk(kind);
        if (name == null) r.WriteNullBulk();
        else r.WriteBulk(name);
        r.WriteInteger(count);
    }

    [Command("publish", 3, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.MayReplicate, Group = "pubsub", Summary = "Posts a message to a channel.")]
    public static void Publish(CommandContext ctx)
    {
        int receivers = ctx.Server.PubSub.Publish(ctx.Arg(1), ctx.Arg(2));
        // Replicas deliver it to their own subscribers; the AOF never sees it. A master link's stream already
        // went to our own replicas as received.
        if (!ctx.Client.IsMasterLink && !ctx.Client.IsReplay) ctx.Server.Propagation.EmitToReplicas(ctx.Client.DbIndex, ctx.Args);
        ctx.Reply.WriteInteger(receivers);
    }

    private static readonly string[] Help =
    [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];

    [Command("pubsub", -2, Flags = CommandFlags.None, Group = "pubsub", Summary = "A container for Pub/Sub commands.")]
    [Subcommand("pubsub", "channels", -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the active channels.")]
    [Subcommand("pubsub", "numsub", -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns a count of subscribers to channels.")]
    [Subcommand("pubsub", "numpat", 2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns a count of unique pattern subscriptions.")]
    [Subcommand("pubsub", "shardchannels", -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the active shard channels.")]
    [Subcommand("pubsub", "shardnumsub", -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the count of subscribers of shard channels.")]
    [Subcommand("pubsub", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, AclCategories = "@slow", Summary = "Returns helpful text about the different subcommands.")]
    public static void PubSub(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        if (!ServerCommands.CheckSubcommand(ctx, "pubsub", sub)) return;
        var hub = ctx.Server.PubSub;
        var r = ctx.Reply;
        switch (sub)
        {
            case "help":
                Subcommands.WriteHelp(ctx, Help);
                break;
            case "channels" or "shardchannels":
                if (ctx.ArgCount > 3)
                {
                    ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{ctx.ArgString(1)}'. Try PUBSUB HELP.");
                    return;
                }
                var active = hub.ActiveChannels(ctx.ArgCount == 3 ? ctx.Arg(2) : default, all: ctx.ArgCount == 2, shard: sub == "shardchannels");
                r.WriteArrayHeader(active.Count);
                foreach (var c in active) r.WriteBulk(c);
                break;
            case "numsub" or "shardnumsub":
                r.WriteArrayHeader((ctx.ArgCount - 2) * 2);
                for (int i = 2; i < ctx.ArgCount; i++)
                {
                    r.WriteBulk(ctx.Arg(i));
                    r.WriteInteger(hub.SubscriberCount(ctx.Arg(i), shard: sub == "shardnumsub"));
                }
                break;
            case "numpat":
                r.WriteInteger(hub.PatternCount);
                break;
        }
    }
}
