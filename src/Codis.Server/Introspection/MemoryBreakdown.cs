using Codis.Core.Slots;

namespace Codis.Server.Introspection;

/// <summary>
/// Where the memory goes, as INFO memory and MEMORY STATS / DOCTOR report it: the managed heap in use (Redis's
/// allocator total), what start-up and the key tables take (overhead), the rest being the dataset. Read under the
/// keyspace lock (it walks the key tables).
/// </summary>
internal sealed class MemoryBreakdown
{
    public long Used { get; private init; }
    public long Peak { get; private init; }
    public long Startup { get; private init; }
    public long Rss { get; private init; }

    /// <summary>Start-up memory plus every key table (buckets and entries), at most <see cref="Used"/>.</summary>
    public long Overhead { get; private init; }

    public long Dataset => Used - Overhead;
    public long Keys { get; private init; }

    /// <summary>The databases holding keys: index, key count, bytes of their key tables.</summary>
    public IReadOnlyList<(int Db, long Keys, long TableBytes)> Databases { get; private init; } = [];

    public static MemoryBreakdown Of(CodisServer server)
    {
        var mem = server.Memory;
        long used = mem.Used();
        long overhead = mem.Startup, keys = 0;
        var dbs = new List<(int, long, long)>();
        for (int d = 0; d < server.Keyspace.DatabaseCount; d++)
        {
            var db = server.Keyspace[d];
            if (db.Count == 0) continue;
            long tables = 0;
            for (int s = 0; s < SlotHash.SlotCount; s++) tables += db.Table(s)?.Overhead ?? 0;
            overhead += tables;
            keys += db.Count;
            dbs.Add((d, db.Count, tables));
        }
        return new MemoryBreakdown
        {
            Used = used,
            Peak = mem.Peak,
            Startup = mem.Startup,
            Rss = MemoryStats.Rss(),
            Overhead = Math.Min(overhead, used),
            Keys = keys,
            Databases = dbs,
        };
    }
}
