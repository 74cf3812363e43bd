using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP: what a key's value looks like inside.</summary>
internal static class ObjectCommand
{
    private static readonly string[] Help =
    [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];

    /// <summary>Redis shares one object for each of 0..9999 and reports it with this count.</summary>
    private const long SharedRefCount = int.MaxValue;

    [Command("object", -2, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, Group = "generic", Summary = "A container for object introspection commands.")]
    [Subcommand("object", "encoding", 3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RO", Tips = "nondeterministic_output", Summary = "Returns the internal encoding of a value.")]
    [Subcommand("object", "freq", 3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RO", Tips = "nondeterministic_output", Summary = "Returns the logarithmic access frequency counter of a key.")]
    [Subcommand("object", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("object", "idletime", 3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RO", Tips = "nondeterministic_output", Summary = "Returns the time since the last access to a key.")]
    [Subcommand("object", "refcount", 3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RO", Tips = "nondeterministic_output", Summary = "Returns the reference count of a value.")]
    public static void Object(CommandContext ctx)
    {
        if (Subcommands.Checked(ctx) is not { } spec) return;
        string sub = spec.Name["object|".Length..];
        if (sub == "help")
        {
            ctx.Reply.WriteArrayHeader(Help.Length);
            foreach (var line in Help) ctx.Reply.WriteSimpleString(line);
            return;
        }
        if (!ctx.Db.TryPeek(ctx.Arg(2), out var table, out int index, announceMiss: false))
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        ref var e = ref table.At(index);
        switch (sub)
        {
            case "encoding":
                ctx.Reply.WriteBulk(ValueTypes.EncodingName(e.Value!));
                break;
            case "refcount":
                bool shared = e.Value is byte[] s && s.Length <= 4 && CommandContext.TryParseLong(s, out long n) && n is >= 0 and < 10000;
                ctx.Reply.WriteInteger(shared ? SharedRefCount : 1);
                break;
            case "idletime":
                if (ctx.Keyspace.LfuStamps)
                {
                    ctx.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
                    break;
                }
                // 0: stored by a path that does not stamp access times (treated as just used).
                ctx.Reply.WriteInteger(e.Access == 0 ? 0 : Math.Max(0, (long)ctx.Keyspace.AccessClock - e.Access));
                break;
            default:
                if (!ctx.Keyspace.LfuStamps)
                {
                    ctx.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
                    break;
                }
                ctx.Reply.WriteInteger(Storage.Eviction.Lfu.Counter(e.Access, ctx.Now, ctx.Keyspace.LfuDecayMinutes));
                break;
        }
    }
}
