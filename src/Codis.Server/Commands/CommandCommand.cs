using Codis.Core.Text;

namespace Codis.Server.Commands;

/// <summary>
/// COMMAND [COUNT | INFO | DOCS | LIST | GETKEYS | GETKEYSANDFLAGS | HELP]: the command table as Redis 7.0 shapes it.
/// Flags, key specs and ACL categories are derived from each command's declaration; docs carry its summary and
/// group (codis-server keeps no per-argument docs or version history).
/// </summary>
internal static class CommandCommand
{
    private static readonly string[] Help =
    [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all commands.",
        "COUNT",
        "    Return the total number of commands in this server.",
        "LIST",
        "    Return a list of all commands in this server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full command.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("command", -1, Flags = CommandFlags.Loading | CommandFlags.Stale, ContainerInfoFlags = "loading stale", Group = "server", Tips = "nondeterministic_output_order", AclCategories = "@connection", Summary = "Returns detailed information about all commands.")]
    [Subcommand("command", "count", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns a count of commands.")]
    [Subcommand("command", "docs", -2, Flags = CommandFlags.Loading | CommandFlags.Stale, Tips = "nondeterministic_output_order", Summary = "Returns documentary information about one, multiple or all commands.")]
    [Subcommand("command", "getkeys", -4, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Extracts the key names from an arbitrary command.")]
    [Subcommand("command", "getkeysandflags", -4, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Extracts the key names and access flags for an arbitrary command.")]
    [Subcommand("command", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("command", "info", -2, Flags = CommandFlags.Loading | CommandFlags.Stale, Tips = "nondeterministic_output_order", Summary = "Returns information about one, multiple or all commands.")]
    [Subcommand("command", "list", -2, Flags = CommandFlags.Loading | CommandFlags.Stale, Tips = "nondeterministic_output_order", Summary = "Returns a list of command names.")]
    public static void Command(CommandContext ctx)
    {
        if (ctx.ArgCount == 1)
        {
            var all = TopLevel();
            ctx.Reply.WriteArrayHeader(all.Count);
            foreach (var spec in all) WriteInfo(ctx, spec);
            return;
        }
        string sub = ctx.ArgString(1).ToLowerInvariant();
        var subSpec = CommandTable.Find("command")!.Subcommands.Find(s => s.Name == "command|" + sub);
        if (subSpec == null)
        {
            ctx.Error(Errors.UnknownSubcommand(ctx.ArgString(1), "command"));
            return;
        }
        if (!subSpec.ArityOk(ctx.ArgCount))
        {
            ctx.Error(Errors.WrongArity(subSpec.Name));
            return;
        }
        ctx.Client.LastCommand = subSpec.Name;
        switch (sub)
        {
            case "count": ctx.Reply.WriteInteger(TopLevel().Count); break;
            case "info": Info(ctx); break;
            case "docs": Docs(ctx); break;
            case "list": List(ctx); break;
            case "getkeys": GetKeys(ctx, withFlags: false); break;
            case "getkeysandflags": GetKeys(ctx, withFlags: true); break;
            case "help": Subcommands.WriteHelp(ctx, Help); break;
        }
    }

    private static List<CommandSpec> TopLevel() => CommandTable.All.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    private static IEnumerable<CommandSpec> AllWithSubcommands()
    {
        foreach (var spec in TopLevel())
        {
            yield return spec;
            foreach (var sub in spec.Subcommands) yield return sub;
        }
    }

    /// <summary>"get" or "config|get" (any case).</summary>
    private static CommandSpec? Lookup(string name)
    {
        int bar = name.IndexOf('|');
        if (bar < 0) return CommandTable.Find(name);
        var container = CommandTable.Find(name[..bar]);
        return container?.Subcommands.Find(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
    }

    private static void Info(CommandContext ctx)
    {
        if (ctx.ArgCount == 2)
        {
            var all = TopLevel();
            ctx.Reply.WriteArrayHeader(all.Count);
            foreach (var spec in all) WriteInfo(ctx, spec);
            return;
        }
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            var spec = Lookup(ctx.ArgString(i));
            if (spec == null) ctx.Reply.WriteNullBulk();
            else WriteInfo(ctx, spec);
        }
    }

    /// <summary>Redis 7.0's 10-element command info: name, arity, flags, first, last, step, ACL categories, tips, key specs, subcommands.</summary>
    private static void WriteInfo(CommandContext ctx, CommandSpec spec)
    {
        var r = ctx.Reply;
        r.WriteArrayHeader(10);
        r.WriteBulk(spec.Name);
        r.WriteInteger(spec.Arity);
        // A container (CONFIG, OBJECT, ...) shows no keys and only the flags Redis gives it: its subcommands carry
        // theirs. (Its own flags are what a request naming no known subcommand is checked and propagated by.)
        bool container = spec.Subcommands.Count > 0;
        var flags = container ? spec.ContainerInfoFlags.ToList() : FlagNames(spec);
        r.WriteSetHeader(flags.Count);
        foreach (var f in flags) r.WriteSimpleString(f);
        int firstKey = container ? 0 : spec.FirstKey;
        r.WriteInteger(firstKey);
        r.WriteInteger(firstKey == 0 ? 0 : spec.LastKey);
        r.WriteInteger(firstKey == 0 ? 0 : Math.Max(1, spec.Step));
        var cats = Categories(spec);
        r.WriteSetHeader(cats.Count);
        foreach (var c in cats) r.WriteSimpleString(c);
        r.WriteSetHeader(spec.Tips.Length);
        foreach (var tip in spec.Tips) r.WriteBulk(tip);
        if (container) r.WriteSetHeader(0);
        else WriteKeySpecs(ctx, spec);
        // As Redis 7.0 in RESP3: an array of subcommands, or an empty set when there are none.
        if (spec.Subcommands.Count > 0) r.WriteArrayHeader(spec.Subcommands.Count);
        else r.WriteSetHeader(0);
        foreach (var sub in spec.Subcommands) WriteInfo(ctx, sub);
    }

    private static readonly (CommandFlags Flag, string Name)[] FlagOrder =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Fast, "fast"), (CommandFlags.NoAuth, "no_auth"),
        (CommandFlags.NoAsyncLoading, "no_async_loading"), (CommandFlags.NoMulti, "no_multi"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
    ];

    /// <summary>
    /// A command's key-spec flags. Without per-command detail a write claims the widest access (read, write, update);
    /// pub/sub channels are "not_key"; WATCH only reads its keys' versions ("RO").
    /// </summary>
    private static string[] KeySpecFlags(CommandSpec spec) =>
        spec.KeyFlags.Length > 0 ? spec.KeyFlags
        : spec.Has(CommandFlags.PubSub) ? ["not_key"]
        : spec.Name == "watch" ? ["RO"]
        : spec.Has(CommandFlags.ReadOnly) ? ["RO", "access"]
        : ["RW", "access", "update"];

    /// <summary>
    /// The flags of a command's <paramref name="nth"/> key: its own key spec's where the command has one per key (the
    /// last spec covers the rest: SUNIONSTORE's sources).
    /// </summary>
    internal static string[] KeySpecFlagsOf(CommandSpec spec, int nth)
    {
        if (spec.StoreKeysFrom > 0 || spec.SortKeys) return nth == 0 ? ["RO", "access"] : ["OW", "update"];
        if (spec.KeyFlagsByKey.Length > 0) return spec.KeyFlagsByKey[Math.Min(nth, spec.KeyFlagsByKey.Length - 1)];
        return KeySpecFlags(spec);
    }

    /// <summary>
    /// The flags of the key of a command whose key spec says "variable_flags", as this request uses it (Redis's
    /// getkeys procedures): SET writes without reading unless it has GET, BITFIELD only reads with GETs only.
    /// </summary>
    internal static string[]? VariableKeyFlags(CommandSpec spec, Codis.Core.Resp.RespRequest request, int offset)
    {
        if (!spec.KeyFlags.Contains("variable_flags")) return null;
        bool Any(string word, int from, int step)
        {
            for (int i = offset + from; i < request.Count; i += step)
                if (System.Text.Ascii.EqualsIgnoreCase(request[i], word)) return true;
            return false;
        }
        return spec.Name switch
        {
            "set" => Any("GET", 3, 1) ? ReadWriteFlags : OverwriteFlags,
            "bitfield" => Any("SET", 2, 1) || Any("INCRBY", 2, 1) ? ReadWriteFlags : ReadFlags,
            _ => null,
        };
    }

    // shared: the ACL check asks for them on every SET of a restricted user
    private static readonly string[] ReadWriteFlags = ["RW", "access", "update"], OverwriteFlags = ["OW", "update"], ReadFlags = ["RO", "access"];

    internal static List<string> FlagNames(CommandSpec spec)
    {
        var list = new List<string>();
        foreach (var (flag, name) in FlagOrder)
            if (spec.Has(flag)) list.Add(name);
        if (spec.MovableKeys) list.Add("movablekeys");
        if (spec.Has(CommandFlags.AllowBusy)) list.Add("allow_busy");
        return list;
    }

    private static readonly Dictionary<string, string> GroupCategory = new(StringComparer.Ordinal)
    {
        ["string"] = "@string", ["generic"] = "@keyspace", ["hash"] = "@hash", ["list"] = "@list", ["set"] = "@set",
        ["sorted-set"] = "@sortedset", ["sorted_set"] = "@sortedset", ["bitmap"] = "@bitmap", ["hyperloglog"] = "@hyperloglog",
        ["pubsub"] = "@pubsub", ["transactions"] = "@transaction", ["connection"] = "@connection", ["scripting"] = "@scripting",
        ["stream"] = "@stream", ["geo"] = "@geo",
    };

    /// <summary>Redis lists a command's ACL categories in the order of its category table (ACL CAT's order).</summary>
    private static readonly string[] CategoryOrder = Acl.AclCategories.Names.Select(static n => "@" + n).ToArray();

    /// <summary>ACL categories as Redis derives most of them: from the flags and the command's group.</summary>
    internal static List<string> Categories(CommandSpec spec)
    {
        var cats = new HashSet<string>(StringComparer.Ordinal);
        bool container = spec.Subcommands.Count > 0;
        if (!container)
        {
            if (spec.Has(CommandFlags.Write)) cats.Add("@write");
            // Redis files the read-only scripts (EVAL_RO, FCALL_RO) under @scripting only.
            if (spec.Has(CommandFlags.ReadOnly) && spec.Group != "scripting") cats.Add("@read");
            if (spec.Has(CommandFlags.Admin)) cats.Add("@admin");
            if (spec.Has(CommandFlags.Admin)) cats.Add("@dangerous");
            if (spec.Has(CommandFlags.Blocking)) cats.Add("@blocking");
            if (spec.Has(CommandFlags.PubSub)) cats.Add("@pubsub");
            if (spec.AclCategories.Length > 0) cats.UnionWith(spec.AclCategories);
            else if (GroupCategory.TryGetValue(spec.Group, out var g)) cats.Add(g);
        }
        else if (spec.AclCategories.Length > 0) cats.UnionWith(spec.AclCategories); // a container's own (COMMAND: @connection)
        cats.Add(!container && spec.Has(CommandFlags.Fast) ? "@fast" : "@slow");
        return CategoryOrder.Where(cats.Contains).ToList();
    }

    private static void WriteKeySpecs(CommandContext ctx, CommandSpec spec)
    {
        var r = ctx.Reply;
        if (spec.KeyNumIndex <= 0 && spec.KeyKeyword.Length == 0 && spec.FirstKey <= 0)
        {
            r.WriteSetHeader(0);
            return;
        }
        if (spec.StoreKeysFrom > 0)
        {
            WriteStoreKeySpecs(r, spec.StoreKeysFrom);
            return;
        }
        if (spec.MigrateKeys)
        {
            // The key at 3, and the keys after a KEYS searched backwards from the end (incomplete: AUTH's password could read as KEYS).
            r.WriteSetHeader(2);
            WriteSingleKeySpec(r, KeySpecFlags(spec), null, 3);
            WriteSingleKeySpec(r, [.. KeySpecFlags(spec), "incomplete"], "KEYS", -2, lastKey: -1);
            return;
        }
        if (spec.SortKeys)
        {
            // The sorted key, then the keys only the data names (BY/GET patterns) and, for SORT, the STORE key.
            bool store = spec.Has(CommandFlags.Write);
            r.WriteSetHeader(store ? 3 : 2);
            WriteSingleKeySpec(r, ["RO", "access"], null, 1);
            WriteUnknownKeySpec(r, ["RO", "access"], "BY and GET name keys by patterns filled in from the sorted values: unknown until it runs");
            if (store) WriteUnknownKeySpec(r, ["OW", "update"], "the key after STORE, which may come anywhere among the options");
            return;
        }
        if (spec.KeyFlagsByKey.Length > 0)
        {
            // One index spec per key (GEOSEARCHSTORE: the destination, then the source); the last one covers the
            // rest: up to LastKey (SUNIONSTORE's sources), or the counted keys (ZUNIONSTORE's).
            int n = spec.KeyFlagsByKey.Length;
            r.WriteSetHeader(n);
            for (int i = 0; i < n - 1; i++) WriteSingleKeySpec(r, spec.KeyFlagsByKey[i], null, spec.FirstKey + i);
            int at = spec.FirstKey + n - 1;
            if (spec.KeyNumIndex > 0) WriteSingleKeySpec(r, spec.KeyFlagsByKey[n - 1], null, spec.KeyNumIndex, keyNum: true);
            else WriteSingleKeySpec(r, spec.KeyFlagsByKey[n - 1], null, at, lastKey: spec.LastKey < 0 ? spec.LastKey : spec.LastKey - at);
            return;
        }
        // One key spec: its notes, its flags, where the search for keys begins, and how the keys are found from there.
        r.WriteSetHeader(1);
        r.WriteMapHeader(spec.KeyNotes.Length > 0 ? 4 : 3);
        if (spec.KeyNotes.Length > 0)
        {
            r.WriteBulk("notes"u8);
            r.WriteBulk(spec.KeyNotes);
        }
        r.WriteBulk("flags"u8);
        var keyFlags = KeySpecFlags(spec);
        r.WriteSetHeader(keyFlags.Length);
        foreach (var f in keyFlags) r.WriteSimpleString(f);
        r.WriteBulk("begin_search"u8);
        r.WriteMapHeader(2);
        bool keyword = spec.KeyNumIndex <= 0 && spec.KeyKeyword.Length > 0;
        if (keyword)
        {
            // Keys after a keyword: search it from an index, then the first half of what follows (limit 2).
            r.WriteBulk("type"u8); r.WriteBulk("keyword"u8);
            r.WriteBulk("spec"u8);
            r.WriteMapHeader(2);
            r.WriteBulk("keyword"u8); r.WriteBulk(spec.KeyKeyword);
            r.WriteBulk("startfrom"u8); r.WriteInteger(spec.KeyKeywordFrom);
        }
        else
        {
            r.WriteBulk("type"u8); r.WriteBulk("index"u8);
            r.WriteBulk("spec"u8);
            r.WriteMapHeader(1);
            r.WriteBulk("index"u8); r.WriteInteger(spec.KeyNumIndex > 0 ? spec.KeyNumIndex : spec.FirstKey);
        }
        r.WriteBulk("find_keys"u8);
        r.WriteMapHeader(2);
        if (spec.KeyNumIndex > 0)
        {
            // Keys counted by an argument: numkeys keys right after it.
            r.WriteBulk("type"u8); r.WriteBulk("keynum"u8);
            r.WriteBulk("spec"u8);
            r.WriteMapHeader(3);
            r.WriteBulk("keynumidx"u8); r.WriteInteger(0);
            r.WriteBulk("firstkey"u8); r.WriteInteger(1);
            r.WriteBulk("keystep"u8); r.WriteInteger(1);
            return;
        }
        r.WriteBulk("type"u8); r.WriteBulk("range"u8);
        r.WriteBulk("spec"u8);
        r.WriteMapHeader(3);
        r.WriteBulk("lastkey"u8); r.WriteInteger(keyword ? -1 : spec.LastKey < 0 ? spec.LastKey : spec.LastKey - spec.FirstKey);
        r.WriteBulk("keystep"u8); r.WriteInteger(keyword ? 1 : Math.Max(1, spec.Step));
        r.WriteBulk("limit"u8); r.WriteInteger(keyword ? 2 : 0);
    }

    /// <summary>GEORADIUS's three key specs: the source at 1 (read), then one key after STORE and one after STOREDIST (overwritten).</summary>
    private static void WriteStoreKeySpecs(Codis.Core.Resp.RespWriter r, int from)
    {
        r.WriteSetHeader(3);
        WriteSingleKeySpec(r, ["RO", "access"], null, 1);
        WriteSingleKeySpec(r, ["OW", "update"], "STORE", from);
        WriteSingleKeySpec(r, ["OW", "update"], "STOREDIST", from);
    }

    /// <summary>A key spec Redis marks "unknown": where the keys are cannot be told from the arguments.</summary>
    private static void WriteUnknownKeySpec(Codis.Core.Resp.RespWriter r, string[] flags, string notes)
    {
        r.WriteMapHeader(4);
        r.WriteBulk("notes"u8);
        r.WriteBulk(notes);
        r.WriteBulk("flags"u8);
        r.WriteSetHeader(flags.Length);
        foreach (var f in flags) r.WriteSimpleString(f);
        foreach (var part in (ReadOnlySpan<string>)["begin_search", "find_keys"])
        {
            r.WriteBulk(part);
            r.WriteMapHeader(2);
            r.WriteBulk("type"u8); r.WriteBulk("unknown"u8);
            r.WriteBulk("spec"u8); r.WriteMapHeader(0);
        }
    }

    /// <summary>One key spec: from an index (or after a keyword), a range of keys or, with <paramref name="keyNum"/>, the keys an argument counts.</summary>
    private static void WriteSingleKeySpec(Codis.Core.Resp.RespWriter r, string[] flags, string? keyword, int at, int lastKey = 0, bool keyNum = false)
    {
        r.WriteMapHeader(3);
        r.WriteBulk("flags"u8);
        r.WriteSetHeader(flags.Length);
        foreach (var f in flags) r.WriteSimpleString(f);
        r.WriteBulk("begin_search"u8);
        r.WriteMapHeader(2);
        r.WriteBulk("type"u8); r.WriteBulk(keyword == null ? "index"u8 : "keyword"u8);
        r.WriteBulk("spec"u8);
        if (keyword == null)
        {
            r.WriteMapHeader(1);
            r.WriteBulk("index"u8); r.WriteInteger(at);
        }
        else
        {
            r.WriteMapHeader(2);
            r.WriteBulk("keyword"u8); r.WriteBulk(keyword);
            r.WriteBulk("startfrom"u8); r.WriteInteger(at);
        }
        r.WriteBulk("find_keys"u8);
        r.WriteMapHeader(2);
        r.WriteBulk("type"u8); r.WriteBulk(keyNum ? "keynum"u8 : "range"u8);
        r.WriteBulk("spec"u8);
        r.WriteMapHeader(3);
        if (keyNum)
        {
            r.WriteBulk("keynumidx"u8); r.WriteInteger(0);
            r.WriteBulk("firstkey"u8); r.WriteInteger(1);
        }
        else
        {
            r.WriteBulk("lastkey"u8); r.WriteInteger(lastKey);
        }
        r.WriteBulk("keystep"u8); r.WriteInteger(1);
        if (!keyNum)
        {
            r.WriteBulk("limit"u8); r.WriteInteger(0);
        }
    }

    private static void Docs(CommandContext ctx)
    {
        var specs = new List<CommandSpec>();
        if (ctx.ArgCount == 2) specs.AddRange(TopLevel());
        else
            for (int i = 2; i < ctx.ArgCount; i++)
                if (Lookup(ctx.ArgString(i)) is { } s) specs.Add(s);
        ctx.Reply.WriteMapHeader(specs.Count);
        foreach (var s in specs)
        {
            ctx.Reply.WriteBulk(s.Name);
            WriteDoc(ctx, s);
        }
    }

    private static void WriteDoc(CommandContext ctx, CommandSpec spec)
    {
        var r = ctx.Reply;
        r.WriteMapHeader(spec.Subcommands.Count > 0 ? 3 : 2);
        r.WriteBulk("summary"u8); r.WriteBulk(spec.Summary);
        r.WriteBulk("group"u8); r.WriteBulk(spec.Group);
        if (spec.Subcommands.Count == 0) return;
        r.WriteBulk("subcommands"u8);
        r.WriteMapHeader(spec.Subcommands.Count);
        foreach (var sub in spec.Subcommands)
        {
            r.WriteBulk(sub.Name);
            WriteDoc(ctx, sub);
        }
    }

    private static void List(CommandContext ctx)
    {
        Func<CommandSpec, bool> filter = _ => true;
        if (ctx.ArgCount > 2)
        {
            if (ctx.ArgCount != 5 || !ctx.ArgIs(2, "filterby")) { ctx.SyntaxError(); return; }
            string value = ctx.ArgString(4);
            if (ctx.ArgIs(3, "module")) filter = _ => false; // no modules
            else if (ctx.ArgIs(3, "aclcat")) filter = s => Categories(s).Contains("@" + value.ToLowerInvariant());
            else if (ctx.ArgIs(3, "pattern")) filter = s => Glob.Match(value, s.Name, noCase: true);
            else { ctx.SyntaxError(); return; }
        }
        var names = AllWithSubcommands().Where(filter).Select(s => s.Name).ToList();
        ctx.Reply.WriteArrayHeader(names.Count);
        foreach (var n in names) ctx.Reply.WriteBulk(n);
    }

    private static void GetKeys(CommandContext ctx, bool withFlags)
    {
        var target = CommandTable.Find(ctx.Arg(2));
        if (target == null)
        {
            ctx.Error("ERR Invalid command specified");
            return;
        }
        int count = ctx.ArgCount - 2;
        if (!target.ArityOk(count))
        {
            ctx.Error("ERR Invalid number of arguments specified for command");
            return;
        }
        // Shard channels sit at key positions but are not keys (Redis's not_key): GETKEYS leaves them out.
        var positions = target.Has(CommandFlags.PubSub) ? [] : target.KeyPositions(ctx.Args, 2);
        if (positions == null || (positions.Count == 0 && target.MovableKeys && !target.Has(CommandFlags.NoMandatoryKeys)))
        {
            ctx.Error("ERR Invalid arguments specified for command");
            return;
        }
        if (positions.Count == 0 && !target.Has(CommandFlags.NoMandatoryKeys))
        {
            ctx.Error("ERR The command has no key arguments");
            return;
        }
        ctx.Reply.WriteArrayHeader(positions.Count);
        for (int i = 0; i < positions.Count; i++)
        {
            int p = positions[i];
            if (withFlags)
            {
                ctx.Reply.WriteArrayHeader(2);
                ctx.Reply.WriteBulk(ctx.Arg(p + 2));
                var keyFlags = VariableKeyFlags(target, ctx.Args, 2) ?? KeySpecFlagsOf(target, i);
                ctx.Reply.WriteSetHeader(keyFlags.Length);
                foreach (var f in keyFlags) ctx.Reply.WriteSimpleString(f);
            }
            else ctx.Reply.WriteBulk(ctx.Arg(p + 2));
        }
    }
}
