using System.Reflection;

namespace Codis.Server.Commands;

/// <summary>The command table, built once from every <see cref="CommandAttribute"/> in this assembly.</summary>
internal static class CommandTable
{
    private static readonly Dictionary<string, CommandSpec> byName = Build();
    private static readonly Dictionary<string, CommandSpec>.AlternateLookup<ReadOnlySpan<char>> byChars =
        byName.GetAlternateLookup<ReadOnlySpan<char>>();

    public static IReadOnlyCollection<CommandSpec> All => byName.Values;

    public static CommandSpec? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>Case-insensitive lookup of a command name straight from the request bytes.</summary>
    public static CommandSpec? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.Length > 64) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return byChars.TryGetValue(chars, out var spec) ? spec : null;
    }

    // Commands that wait without the lock (WAIT, SHUTDOWN), and scripts, which may run for seconds while other
    // clients must be answered (-BUSY): neither may hold an event-loop thread that other connections share.
    private static readonly byte[][] longRunningNames =
        [.. byName.Values.Where(s => s.Has(CommandFlags.NoLock) || s.Name.StartsWith("eval", StringComparison.Ordinal))
            .Select(s => System.Text.Encoding.ASCII.GetBytes(s.Name))];

    /// <summary>Whether a request names a command that may run long (see above): cheaper than Find.</summary>
    public static bool MayRunLong(ReadOnlySpan<byte> name)
    {
        foreach (var n in longRunningNames)
            if (System.Text.Ascii.EqualsIgnoreCase(name, n)) return true;
        return false;
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
