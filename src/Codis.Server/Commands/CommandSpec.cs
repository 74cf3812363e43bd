using Codis.Core.Resp;

namespace Codis.Server.Commands;

internal delegate void CommandHandler(CommandContext ctx);

/// <summary>One entry of the command table, plus its call statistics (INFO commandstats).</summary>
internal sealed class CommandSpec
{
    public required string Name { get; init; }
    public required int Arity { get; init; }
    public required CommandFlags Flags { get; init; }
    public required int FirstKey { get; init; }
    public required int LastKey { get; init; }
    public required int Step { get; init; }
    public int KeyNumIndex { get; init; }
    public string KeyKeyword { get; init; } = "";
    public int KeyKeywordFrom { get; init; }

    /// <summary>The words after the first STORE and the first STOREDIST from this index on are keys too (GEORADIUS); 0 = none.</summary>
    public int StoreKeysFrom { get; init; }

    /// <summary>SORT/SORT_RO: see <see cref="CommandAttribute.SortKeys"/>.</summary>
    public bool SortKeys { get; init; }

    /// <summary>MIGRATE: see <see cref="CommandAttribute.MigrateKeys"/>.</summary>
    public bool MigrateKeys { get; init; }

    /// <summary>Keys found by an argument's value or a keyword, not by position (COMMAND's "movablekeys").</summary>
    public bool MovableKeys => KeyNumIndex > 0 || KeyKeyword.Length > 0 || StoreKeysFrom > 0 || SortKeys || MigrateKeys;
    public string[] KeyFlags { get; init; } = [];

    /// <summary>One key spec per key, with these flags (GEOSEARCHSTORE); empty = one spec for all keys.</summary>
    public string[][] KeyFlagsByKey { get; init; } = [];

    /// <summary>Its key spec says "variable_flags": how the key is used depends on the request (SET ... GET, BITFIELD).</summary>
    public bool HasVariableKeyFlags => Array.IndexOf(KeyFlags, "variable_flags") >= 0;

    /// <summary>See <see cref="CommandAttribute.ContainerInfoFlags"/>.</summary>
    public string[] ContainerInfoFlags { get; init; } = [];

    /// <summary>See <see cref="CommandAttribute.KeyNotes"/>.</summary>
    public string KeyNotes { get; init; } = "";

    /// <summary>See <see cref="CommandAttribute.Tips"/>.</summary>
    public string[] Tips { get; init; } = [];
    public required string Group { get; init; }
    public required string Summary { get; init; }

    /// <summary>See <see cref="CommandAttribute.AclCategories"/>; empty = the group's.</summary>
    public string[] AclCategories { get; init; } = [];
    public required CommandHandler Handler { get; init; }

    /// <summary>For containers (CONFIG, CLIENT, ...): their subcommands, named "container|sub", for COMMAND.</summary>
    public List<CommandSpec> Subcommands { get; } = new();

    /// <summary>WAIT, SHUTDOWN and scripts: they must not hold an event-loop thread other clients share.</summary>
    public bool MayRunLong { get; internal set; }

    /// <summary>This command's place in the ACL command bitmaps (<see cref="Acl.AclSelector"/>); set once by the table.</summary>
    public int AclId { get; internal set; }

    /// <summary>The ACL categories of this command as bits (<see cref="Acl.AclCategories"/>); set once by the table.</summary>
    public ulong AclCategoryBits { get; internal set; }

    /// <summary>What an ACL checks each key for (the last entry covers the keys after); set once by the table.</summary>
    public Acl.AclKeyAccess[] AclKeyAccess { get; internal set; } = [];

    /// <summary>Which arguments an ACL checks as channels; set once by the table.</summary>
    public Acl.AclChannelArgs AclChannels { get; internal set; }

    /// <summary>The container of a subcommand ("config" for "config|get"); null for a top-level command.</summary>
    public CommandSpec? Parent { get; internal set; }

    public long Calls;
    public long Microseconds;
    public long RejectedCalls;
    public long FailedCalls;

    /// <summary>Latencies of this command (INFO latencystats, LATENCY HISTOGRAM); created on its first call.</summary>
    public Introspection.LatencyHistogram? Latency;

    /// <summary>CONFIG RESETSTAT: this command's and its subcommands' counters.</summary>
    public void ResetStats()
    {
        Calls = Microseconds = RejectedCalls = FailedCalls = 0;
        Latency?.Reset();
        foreach (var sub in Subcommands) sub.ResetStats();
    }

    /// <summary>The subcommand a container's second word names (any case), or null.</summary>
    public CommandSpec? FindSubcommand(ReadOnlySpan<byte> word)
    {
        foreach (var sub in Subcommands)
        {
            var subName = sub.Name.AsSpan(Name.Length + 1);
            if (word.Length == subName.Length && System.Text.Ascii.EqualsIgnoreCase(word, subName)) return sub;
        }
        return null;
    }

    /// <summary>
    /// What a request runs: a container's subcommand ("config|get", "function|load") when its second word names
    /// one, this command when it has none or the request names none, null when it names a subcommand the container
    /// does not have (an unknown command to a script).
    /// </summary>
    public CommandSpec? For(RespRequest request) =>
        Subcommands.Count == 0 || request.Count < 2 ? this : FindSubcommand(request[1]);

    /// <summary>
    /// <see cref="For"/>, falling back to the container: Redis 7 counts (commandstats, latency) and names (errors) a
    /// known subcommand as itself.
    /// </summary>
    public CommandSpec Resolve(RespRequest request) => For(request) ?? this;

    public bool Has(CommandFlags flag) => (Flags & flag) != 0;

    public bool ArityOk(int count) => Arity >= 0 ? count == Arity : count >= -Arity;

    /// <summary>
    /// The key arguments of a request (its words, the name first): by first/last/step (last &lt; 0 counts from
    /// the end), or by the numkeys argument; null when that count does not fit the request (Redis's invalid spec).
    /// The command's words are those of <paramref name="request"/> from <paramref name="offset"/> on.
    /// </summary>
    public List<int>? KeyPositions(RespRequest request, int offset)
    {
        int argCount = request.Count - offset;
        if (KeyNumIndex > 0)
        {
            if (KeyNumIndex >= argCount) return null;
            long n = LeadingInteger(request[offset + KeyNumIndex]);
            if (n < 0 || KeyNumIndex + n >= argCount) return null;
            // ZUNIONSTORE and its kin: the destination (first/last/step) before the counted keys
            var keys = new List<int>((int)n + 1);
            keys.AddRange(RangeKeyPositions(argCount));
            for (int i = 1; i <= n; i++) keys.Add(KeyNumIndex + i);
            return keys;
        }
        if (KeyKeyword.Length > 0)
        {
            for (int at = KeyKeywordFrom; at < argCount; at++)
            {
                if (!System.Text.Ascii.EqualsIgnoreCase(request[offset + at], KeyKeyword)) continue;
                int half = (argCount - at - 1) / 2;
                var keys = new List<int>(half);
                for (int i = 1; i <= half; i++) keys.Add(at + i);
                return keys;
            }
            return null;
        }
        if (MigrateKeys) return MigrateKeyPositions(request, offset, argCount);
        var positions = new List<int>(RangeKeyPositions(argCount));
        if (StoreKeysFrom > 0)
        {
            // Redis 7.0's two keyword key specs: the word after the first STORE, then after the first STOREDIST.
            foreach (var keyword in (ReadOnlySpan<string>)["STORE", "STOREDIST"])
                for (int at = StoreKeysFrom; at + 1 < argCount; at++)
                    if (System.Text.Ascii.EqualsIgnoreCase(request[offset + at], keyword))
                    {
                        positions.Add(at + 1);
                        break;
                    }
        }
        if (SortKeys && Has(CommandFlags.Write) && SortStoreKey(request, offset, argCount) is int store and > 0) positions.Add(store);
        return positions;
    }

    /// <summary>
    /// The argument after SORT's last STORE, skipping the arguments of LIMIT (2), GET and BY (1) as Redis's
    /// sortGetKeys does; 0 when there is none.
    /// </summary>
    private static int SortStoreKey(RespRequest request, int offset, int argCount)
    {
        int store = 0;
        for (int i = 2; i < argCount; i++)
        {
            var word = request[offset + i];
            if (System.Text.Ascii.EqualsIgnoreCase(word, "LIMIT")) i += 2;
            else if (System.Text.Ascii.EqualsIgnoreCase(word, "GET") || System.Text.Ascii.EqualsIgnoreCase(word, "BY")) i++;
            else if (System.Text.Ascii.EqualsIgnoreCase(word, "STORE") && i + 1 < argCount) store = i + 1;
        }
        return store;
    }

    /// <summary>
    /// MIGRATE's keys: the words after KEYS (searched from 6 on, past AUTH's one and AUTH2's two arguments), or the
    /// key at 3 (also when KEYS ends the request); null when KEYS comes with a non-empty key at 3.
    /// </summary>
    private static List<int>? MigrateKeyPositions(RespRequest request, int offset, int argCount)
    {
        for (int i = 6; i < argCount - 1; i++)
        {
            var word = request[offset + i];
            if (System.Text.Ascii.EqualsIgnoreCase(word, "AUTH")) i++;
            else if (System.Text.Ascii.EqualsIgnoreCase(word, "AUTH2")) i += 2;
            else if (System.Text.Ascii.EqualsIgnoreCase(word, "KEYS"))
            {
                if (!request[offset + 3].IsEmpty) return null;
                return Enumerable.Range(i + 1, argCount - i - 1).ToList();
            }
        }
        return argCount > 3 ? [3] : null;
    }

    /// <summary>C's atoi, as Redis reads a numkeys argument when it only looks for keys: "2x" is 2, "x" is 0.</summary>
    private static long LeadingInteger(ReadOnlySpan<byte> text)
    {
        int i = 0;
        while (i < text.Length && (text[i] == ' ' || (text[i] >= 9 && text[i] <= 13))) i++;
        bool negative = i < text.Length && text[i] == '-';
        if (i < text.Length && (text[i] == '-' || text[i] == '+')) i++;
        long n = 0;
        for (; i < text.Length && text[i] >= '0' && text[i] <= '9'; i++)
            n = Math.Min(int.MaxValue, n * 10 + (text[i] - '0'));
        return negative ? -n : n;
    }

    private IEnumerable<int> RangeKeyPositions(int argCount)
    {
        if (FirstKey <= 0) yield break;
        int last = LastKey < 0 ? argCount + LastKey : LastKey;
        for (int i = FirstKey; i <= last && i < argCount; i += Math.Max(1, Step)) yield return i;
    }
}
