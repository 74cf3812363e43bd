using System.Reflection;

namespace Codis.Server.Commands;

/// <summary>The command table, built once from every <see cref="CommandAttribute"/> in this assembly.</summary>
internal static class CommandTable
{
    private static readonly Dictionary<string, CommandSpec> byName = MarkLongRunning(Build());
    private static readonly ByteNameTable byBytes = new(byName.Values);
    private static readonly CommandSpec[] byAclId = NumberForAcl(byName);

    /// <summary>Every command and subcommand by <see cref="CommandSpec.AclId"/>: top-level commands by name, each followed by its subcommands.</summary>
    public static ReadOnlySpan<CommandSpec> ByAclId => byAclId;

    private static CommandSpec[] NumberForAcl(Dictionary<string, CommandSpec> table)
    {
        var ordered = table.Values.OrderBy(s => s.Name, StringComparer.Ordinal)
            .SelectMany(static c => c.Subcommands.OrderBy(s => s.Name, StringComparer.Ordinal).Prepend(c)).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            ordered[i].AclId = i;
            ordered[i].AclCategoryBits = Acl.AclCategories.BitsOf(CommandCommand.Categories(ordered[i]));
            ordered[i].AclKeyAccess = Acl.AclArguments.KeyAccessOf(ordered[i]);
            ordered[i].AclChannels = Acl.AclArguments.ChannelArgsOf(ordered[i]);
        }
        return ordered;
    }

    public static IReadOnlyCollection<CommandSpec> All => byName.Values;

    /// <summary>Every command, each followed by its subcommands (what INFO commandstats counts).</summary>
    public static IEnumerable<CommandSpec> AllWithSubcommands => All.SelectMany(static c => c.Subcommands.Prepend(c));

    public static CommandSpec? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>Case-insensitive lookup of a command name straight from the request bytes.</summary>
    public static CommandSpec? Find(ReadOnlySpan<byte> name) => byBytes.Find(name);

    // Commands that wait without the lock (WAIT, SHUTDOWN), and scripts and functions, which may run for seconds
    // while other clients must be answered (-BUSY; FUNCTION LOAD runs a library's code for up to 500 ms): none may
    // hold an event-loop thread that other connections share.
    private static Dictionary<string, CommandSpec> MarkLongRunning(Dictionary<string, CommandSpec> table)
    {
        foreach (var spec in table.Values)
            spec.MayRunLong = spec.Has(CommandFlags.NoLock) || spec.Name.StartsWith("eval", StringComparison.Ordinal)
                || spec.Name.StartsWith("fcall", StringComparison.Ordinal) || spec.Name == "function";
        return table;
    }

    /// <summary>
    /// A parsed request's command, looked up once: kept with the request (<see cref="Core.Resp.RespRequest.Resolved"/>,
    /// cleared by its next parse), so the checks before a batch and its run share one lookup.
    /// </summary>
    public static CommandSpec? Of(Core.Resp.RespRequest request)
    {
        if (request.Resolved is CommandSpec known) return known;
        var spec = Find(request[0]);
        request.Resolved = spec;
        return spec;
    }

    /// <summary>
    /// Open addressing over the names as 8-byte words: a request's command is found with one hash of its words and
    /// one compare per word, without converting its bytes to chars first (this runs for every command).
    /// </summary>
    private sealed class ByteNameTable
    {
        private const int MaxLength = 64;
        private const ulong Fold = 0x2020202020202020; // ASCII letters differ from their upper case by 0x20

        /// <summary>A name in lower case; its letters' positions carry 0x20 in Letters, so a word matches exactly
        /// when (request word | Letters) == Words: upper or lower case for a letter, the same byte elsewhere.</summary>
        private sealed record Entry(int Length, ulong[] Words, ulong[] Letters, CommandSpec Spec);

        private readonly Entry?[] entries;
        private readonly int mask;

        public ByteNameTable(IEnumerable<CommandSpec> all)
        {
            var list = all.ToList();
            int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)list.Count * 4);
            entries = new Entry?[size];
            mask = size - 1;
            foreach (var spec in list)
            {
                var bytes = System.Text.Encoding.ASCII.GetBytes(spec.Name.ToLowerInvariant());
                if (bytes.Length > MaxLength) throw new InvalidOperationException($"command name '{spec.Name}' is too long");
                var words = ToWords(bytes);
                var letters = new ulong[words.Length];
                var letterBytes = new byte[words.Length * 8];
                for (int i = 0; i < bytes.Length; i++) letterBytes[i] = (byte)(bytes[i] is >= (byte)'a' and <= (byte)'z' ? 0x20 : 0);
                for (int i = 0; i < letters.Length; i++) letters[i] = BitConverter.ToUInt64(letterBytes, i * 8);
                int at = (int)(Hash(words) & (uint)mask);
                while (entries[at] != null) at = (at + 1) & mask;
                entries[at] = new Entry(bytes.Length, words, letters, spec);
            }
        }

        private static ulong[] ToWords(ReadOnlySpan<byte> name)
        {
            var words = new ulong[(name.Length + 7) / 8];
            name.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
            return words;
        }

        public CommandSpec? Find(ReadOnlySpan<byte> name)
        {
            if (name.Length == 0 || name.Length > MaxLength) return null;
            int count = (name.Length + 7) / 8;
            Span<ulong> words = stackalloc ulong[MaxLength / 8];
            words[count - 1] = 0; // the last word's padding; the others are overwritten whole
            name.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words));
            words = words[..count];
            for (int at = (int)(Hash(words) & (uint)mask); ; at = (at + 1) & mask)
            {
                var entry = entries[at];
                if (entry == null) return null;
                if (entry.Length == name.Length && Matches(words, entry)) return entry.Spec;
            }
        }

        private static bool Matches(ReadOnlySpan<ulong> words, Entry entry)
        {
            for (int i = 0; i < words.Length; i++)
                if ((words[i] | entry.Letters[i]) != entry.Words[i]) return false;
            return true;
        }

        // Over the words with every byte's 0x20 bit set: a name hashes the same in any case.
        private static uint Hash(ReadOnlySpan<ulong> words)
        {
            ulong h = 0;
            foreach (ulong w in words) h = (h ^ (w | Fold)) * 0x9E3779B97F4A7C15;
            return (uint)(h >> 32) ^ (uint)h;
        }
    }

    private static Dictionary<string, CommandSpec> Build()
    {
        var table = new Dictionary<string, CommandSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in typeof(CommandTable).Assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                foreach (var attr in method.GetCustomAttributes<CommandAttribute>())
                {
                    var handler = method.CreateDelegate<CommandHandler>();
                    var spec = new CommandSpec
                    {
                        Name = attr.Name,
                        Arity = attr.Arity,
                        Flags = attr.Flags,
                        FirstKey = attr.FirstKey,
                        LastKey = attr.LastKey,
                        Step = attr.Step,
                        KeyNumIndex = attr.KeyNumIndex,
                        KeyKeyword = attr.KeyKeyword,
                        KeyKeywordFrom = attr.KeyKeywordFrom,
                        StoreKeysFrom = attr.StoreKeysFrom,
                        SortKeys = attr.SortKeys,
                        MigrateKeys = attr.MigrateKeys,
                        AclCategories = attr.AclCategories.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                        KeyFlags = attr.KeyFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                        KeyFlagsByKey = attr.KeyFlagsByKey.Length == 0 ? []
                            : attr.KeyFlagsByKey.Split('|').Select(k => k.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray(),
                        KeyNotes = attr.KeyNotes,
                        Tips = attr.Tips.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                        ContainerInfoFlags = attr.ContainerInfoFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                        Group = attr.Group,
                        Summary = attr.Summary,
                        Handler = handler,
                    };
                    if (!table.TryAdd(attr.Name, spec))
                        throw new InvalidOperationException($"command '{attr.Name}' is defined twice");
                    foreach (var sub in method.GetCustomAttributes<SubcommandAttribute>())
                    {
                        if (sub.Container != attr.Name) continue;
                        spec.Subcommands.Add(new CommandSpec
                        {
                            Name = attr.Name + "|" + sub.Name,
                            Arity = sub.Arity,
                            Flags = sub.Flags,
                            FirstKey = sub.FirstKey,
                            LastKey = sub.LastKey,
                            Step = sub.Step,
                            Group = attr.Group,
                            Summary = sub.Summary,
                            KeyFlags = sub.KeyFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                            Tips = sub.Tips.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                            // a subcommand is filed as its container unless it says otherwise (PUBSUB HELP: @slow only)
                            AclCategories = sub.AclCategories.Length > 0 ? sub.AclCategories.Split(' ', StringSplitOptions.RemoveEmptyEntries) : spec.AclCategories,
                            Handler = handler,
                            Parent = spec,
                        });
                    }
                }
            }
        }
        return table;
    }
}
