using System.Reflection;

namespace Codis.Server.Commands;

/// <summary>The command table, built once from every <see cref="CommandAttribute"/> in this assembly.</summary>
internal static class CommandTable
{
    private static readonly Dictionary<string, CommandSpec> byName = MarkLongRunning(Build());
    private static readonly ByteNameTable byBytes = new(byName.Values);

    public static IReadOnlyCollection<CommandSpec> All => byName.Values;

    public static CommandSpec? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>Case-insensitive lookup of a command name straight from the request bytes.</summary>
    public static CommandSpec? Find(ReadOnlySpan<byte> name) => byBytes.Find(name);

    // Commands that wait without the lock (WAIT, SHUTDOWN), and scripts, which may run for seconds while other
    // clients must be answered (-BUSY): neither may hold an event-loop thread that other connections share.
    private static Dictionary<string, CommandSpec> MarkLongRunning(Dictionary<string, CommandSpec> table)
    {
        foreach (var spec in table.Values)
            spec.MayRunLong = spec.Has(CommandFlags.NoLock) || spec.Name.StartsWith("eval", StringComparison.Ordinal);
        return table;
    }

    /// <summary>Whether a request names a command that may run long (see above).</summary>
    public static bool MayRunLong(ReadOnlySpan<byte> name) => Find(name) is { MayRunLong: true };

    /// <summary>
    /// Open addressing over the names' lowercased bytes: a request's command is found with one hash of its bytes,
    /// without converting them to chars first (this runs for every command).
    /// </summary>
    private sealed class ByteNameTable
    {
        private readonly byte[][] names;
        private readonly CommandSpec?[] specs;
        private readonly int mask;

        public ByteNameTable(IEnumerable<CommandSpec> all)
        {
            var list = all.ToList();
            int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)list.Count * 4);
            names = new byte[size][];
            specs = new CommandSpec?[size];
            mask = size - 1;
            foreach (var spec in list)
            {
                var bytes = System.Text.Encoding.ASCII.GetBytes(spec.Name.ToLowerInvariant());
                int i = (int)(Hash(bytes) & (uint)mask);
                while (specs[i] != null) i = (i + 1) & mask;
                names[i] = bytes;
                specs[i] = spec;
            }
        }

        public CommandSpec? Find(ReadOnlySpan<byte> name)
        {
            if (name.Length == 0 || name.Length > 64) return null;
            for (int i = (int)(Hash(name) & (uint)mask); ; i = (i + 1) & mask)
            {
                var spec = specs[i];
                if (spec == null) return null;
                var candidate = names[i];
                if (candidate.Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(name, candidate)) return spec;
            }
        }

        // FNV-1a over the bytes with ASCII letters folded to lower case (| 0x20 leaves digits, '-' and '|' as they are).
        private static uint Hash(ReadOnlySpan<byte> name)
        {
            uint h = 2166136261;
            foreach (byte b in name) h = (h ^ (uint)(b | 0x20)) * 16777619;
            return h;
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
                        KeyFlags = attr.KeyFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries),
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
                            Handler = handler,
                        });
                    }
                }
            }
        }
        return table;
    }
}
