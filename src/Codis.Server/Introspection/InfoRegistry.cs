namespace Codis.Server.Introspection;

/// <summary>Writes the fields of one INFO section (the header and blank line are added by the registry).</summary>
internal delegate void InfoSectionWriter(InfoBuilder info);

/// <summary>
/// The sections INFO can show, in Redis's order. Each part of the server registers the writer for the section
/// it owns (<c>server.InfoSections.Register("replication", WriteReplication)</c>); registering a name again
/// replaces the writer and keeps its place. The defaults in <see cref="StandardSections"/> cover everything until
/// a more specific owner (persistence, replication) registers its own.
/// </summary>
internal sealed class InfoRegistry
{
    private sealed class Section(string name, string title, bool isDefault, InfoSectionWriter writer)
    {
        public string Name { get; } = name;
        public string Title { get; } = title;
        public bool IsDefault { get; } = isDefault;
        public InfoSectionWriter Writer { get; set; } = writer;
    }

    private readonly List<Section> sections = new();

    /// <summary>Section names in the order INFO prints them.</summary>
    public IEnumerable<string> Names => sections.Select(s => s.Name);

    /// <summary>
    /// Adds a section at the end, or replaces the writer of an existing one (keeping its title and place).
    /// </summary>
    /// <param name="name">lower-case name as INFO takes it ("persistence")</param>
    /// <param name="writer">writes the fields; runs under the keyspace lock</param>
    /// <param name="title">the header ("Persistence"); defaults to the name with a capital</param>
    /// <param name="isDefault">shown by plain INFO / INFO default (otherwise only by name, all, everything)</param>
    public void Register(string name, InfoSectionWriter writer, string? title = null, bool isDefault = true)
    {
        lock (sections)
        {
            var existing = sections.Find(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (existing != null)
            {
                existing.Writer = writer;
                return;
            }
            title ??= char.ToUpperInvariant(name[0]) + name[1..].ToLowerInvariant();
            sections.Add(new Section(name.ToLowerInvariant(), title, isDefault, writer));
        }
    }

    public bool Contains(string name) => sections.Exists(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// INFO's text for the given arguments, with Redis 7.0's selection rules: none or "default" = the default
    /// sections; "all" = every section; "everything" = every section (we have no module sections); any other word
    /// picks that section (case-insensitive, unknown ones are ignored); the order is always the registry's.
    /// </summary>
    public string Render(IReadOnlyList<string> args)
    {
        bool all = false, defaults = args.Count == 0;
        var picked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var a in args)
        {
            if (a.Equals("all", StringComparison.OrdinalIgnoreCase) || a.Equals("everything", StringComparison.OrdinalIgnoreCase)) all = true;
            else if (a.Equals("default", StringComparison.OrdinalIgnoreCase)) defaults = true;
            else picked.Add(a);
        }
        var info = new InfoBuilder();
        Section[] snapshot;
        lock (sections) snapshot = sections.ToArray();
        foreach (var s in snapshot)
        {
            if (!(all || (defaults && s.IsDefault) || picked.Contains(s.Name))) continue;
            info.Header(s.Title);
            s.Writer(info);
        }
        return info.ToString();
    }
}
