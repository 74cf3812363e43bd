namespace Codis.Server.Commands;

/// <summary>
/// Marks a static <c>void Handler(CommandContext ctx)</c> as the implementation of a command. The table is built
/// once at start-up from these attributes, so a command lives in exactly one place.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class CommandAttribute(string name, int arity) : Attribute
{
    /// <summary>Lower-case command name ("get", "slotsmgrtslot", "slotsmgrt-async-fence").</summary>
    public string Name { get; } = name;

    /// <summary>Redis arity: the number of words including the name; negative = at least that many.</summary>
    public int Arity { get; } = arity;

    public CommandFlags Flags { get; init; }
    public int FirstKey { get; init; }
    public int LastKey { get; init; }
    public int Step { get; init; }

    /// <summary>
    /// For commands whose keys are counted by an argument (LMPOP numkeys key...): the index of that argument, the
    /// keys following it (Redis's "keynum" key spec, "movablekeys"); 0 = keys by first/last/step.
    /// </summary>
    public int KeyNumIndex { get; init; }

    /// <summary>
    /// For commands whose keys follow a keyword (XREAD ... STREAMS key... id...): the keyword, searched from
    /// <see cref="KeyKeywordFrom"/> on; the first half of the arguments after it are the keys (Redis's "keyword"
    /// key spec with a range of limit 2).
    /// </summary>
    public string KeyKeyword { get; init; } = "";

    public int KeyKeywordFrom { get; init; }

    /// <summary>
    /// For GEORADIUS-style commands: besides the positional keys, the words after the first STORE and the first
    /// STOREDIST found from this index on are keys (Redis 7.0's keyword key specs); 0 = none.
    /// </summary>
    public int StoreKeysFrom { get; init; }

    /// <summary>
    /// SORT and SORT_RO: their BY/GET patterns name keys only the data tells (Redis's "unknown" key specs, so
    /// "movablekeys"); a write form's key after its last STORE is a key too (Redis's sortGetKeys).
    /// </summary>
    public bool SortKeys { get; init; }

    /// <summary>
    /// MIGRATE: its key at 3, or with the KEYS option the words after KEYS (Redis's migrateGetKeys, which skips the
    /// arguments of AUTH and AUTH2 on the way); "movablekeys".
    /// </summary>
    public bool MigrateKeys { get; init; }

    /// <summary>The key spec's flags ("RW access delete"); empty = derived from the command's flags.</summary>
    public string KeyFlags { get; init; } = "";

    /// <summary>
    /// Key-spec flags per key, '|' between keys ("OW update|RO access"), for commands whose consecutive keys each have
    /// their own spec in Redis; empty = one spec for all.
    /// </summary>
    public string KeyFlagsByKey { get; init; } = "";

    /// <summary>Redis's command group ("string", "generic", "server", ...), shown by COMMAND DOCS.</summary>
    public string Group { get; init; } = "generic";

    public string Summary { get; init; } = "";

    /// <summary>The notes of the command's key spec (COMMAND INFO shows them first), empty = none.</summary>
    public string KeyNotes { get; init; } = "";

    /// <summary>COMMAND INFO's tips, space-separated ("request_policy:all_shards ...").</summary>
    public string Tips { get; init; } = "";

    /// <summary>A container's flags as COMMAND INFO shows them ("loading stale" for COMMAND); empty for most.</summary>
    public string ContainerInfoFlags { get; init; } = "";

    /// <summary>ACL categories in place of the group's ("@set @list ..."), for commands Redis files elsewhere (SORT).</summary>
    public string AclCategories { get; init; } = "";
}
