using Codis.Core.Config;

namespace Codis.Server.Storage.Collections;

/// <summary>
/// The size thresholds that decide when a small collection leaves its compact encoding (Redis 7.0's names and
/// defaults; 7.0 has no set-max-listpack-entries: small sets are intset or hashtable). Read once per change,
/// not per command.
/// </summary>
internal sealed class CollectionLimits
{
    public static CollectionLimits Current { get; private set; } = new();

    public int HashMaxListpackEntries { get; init; } = 512;
    public int HashMaxListpackValue { get; init; } = 64;
    public int SetMaxIntsetEntries { get; init; } = 512;
    public int ZSetMaxListpackEntries { get; init; } = 128;
    public int ZSetMaxListpackValue { get; init; } = 64;
    public int ListMaxListpackSize { get; init; } = -2;
    public int StreamNodeMaxBytes { get; init; } = 4096;
    public int StreamNodeMaxEntries { get; init; } = 100;

    private static readonly (string Name, string Alias, string Default, long Min, long Max, string Description)[] Definitions =
    [
        ("hash-max-listpack-entries", "hash-max-ziplist-entries", "512", 0, int.MaxValue, "hashes with more fields leave the listpack encoding"),
        ("hash-max-listpack-value", "hash-max-ziplist-value", "64", 0, int.MaxValue, "hashes with a longer field or value leave the listpack encoding"),
        ("set-max-intset-entries", "", "512", 0, int.MaxValue, "integer sets with more members leave the intset encoding"),
        ("zset-max-listpack-entries", "zset-max-ziplist-entries", "128", 0, int.MaxValue, "sorted sets with more members leave the listpack encoding"),
        ("zset-max-listpack-value", "zset-max-ziplist-value", "64", 0, int.MaxValue, "sorted sets with a longer member leave the listpack encoding"),
        ("list-max-listpack-size", "list-max-ziplist-size", "-2", int.MinValue, int.MaxValue, "quicklist node size: negative = -1..-5 for 4..64 KiB, positive = entries"),
        ("stream-node-max-bytes", "", "4096", 0, int.MaxValue, "a stream node (listpack) holds at most this many bytes; 0 = no limit"),
        ("stream-node-max-entries", "", "100", 0, int.MaxValue, "a stream node holds at most this many entries; 0 = no limit"),
    ];

    /// <summary>Defines the settings (skipping any already defined elsewhere) with their 6.x aliases.</summary>
    public static void Define(Settings settings)
    {
        foreach (var d in Definitions)
        {
            if (settings.Find(d.Name) != null) continue;
            settings.Define(new Setting { Name = d.Name, Kind = SettingKind.Integer, Default = d.Default, Min = d.Min, Max = d.Max, Description = d.Description });
            if (d.Alias.Length > 0) settings.Alias(d.Alias, d.Name);
        }
    }

    /// <summary>Makes <see cref="Current"/> follow the settings (at start-up and on every CONFIG SET).</summary>
    public static void Attach(Settings settings)
    {
        foreach (var d in Definitions)
        {
            var s = settings.Find(d.Name);
            if (s == null) continue;
            var previous = s.Changed;
            s.Changed = x =>
            {
                previous?.Invoke(x);
                Load(settings);
            };
        }
        Load(settings);
    }

    private static void Load(Settings s)
    {
        int Get(string name, int fallback) => s.Find(name)?.AsInt ?? fallback;
        Current = new CollectionLimits
        {
            HashMaxListpackEntries = Get("hash-max-listpack-entries", 512),
            HashMaxListpackValue = Get("hash-max-listpack-value", 64),
            SetMaxIntsetEntries = Get("set-max-intset-entries", 512),
            ZSetMaxListpackEntries = Get("zset-max-listpack-entries", 128),
            ZSetMaxListpackValue = Get("zset-max-listpack-value", 64),
            ListMaxListpackSize = Get("list-max-listpack-size", -2),
            StreamNodeMaxBytes = Get("stream-node-max-bytes", 4096),
            StreamNodeMaxEntries = Get("stream-node-max-entries", 100),
        };
    }
}
