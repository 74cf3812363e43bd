using Codis.Server.Storage;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Hashes;
using Codis.Server.Storage.Lists;
using Codis.Server.Storage.Sets;
using Codis.Server.Storage.SortedSets;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Persistence;

/// <summary>
/// Converts between the keyspace's collection values and the neutral <see cref="RdbValue"/> records, for DUMP,
/// RESTORE, RDB files and slot migration. Writing keeps the encoding the value has now (a hash that went to
/// "hashtable" stays one in the payload even if it shrank, as Redis writes what it holds); reading picks the
/// encoding by size as Redis's loader does.
/// </summary>
internal static class KeyValueRdb
{
    private static readonly RdbEncodingLimits Compact = new()
    {
        HashMaxListpackEntries = int.MaxValue,
        HashMaxListpackValue = int.MaxValue,
        SetMaxIntsetEntries = int.MaxValue,
        ZSetMaxListpackEntries = int.MaxValue,
        ZSetMaxListpackValue = int.MaxValue,
    };

    private static readonly RdbEncodingLimits Big = new()
    {
        HashMaxListpackEntries = -1,
        SetMaxIntsetEntries = -1,
        ZSetMaxListpackEntries = -1,
    };

    /// <summary>The record to write for a collection value, and the limits that make the writer keep its encoding.</summary>
    public static RdbValue ToRdb(IKeyValue value, RdbEncodingLimits limits, out RdbEncodingLimits effective)
    {
        switch (value)
        {
            case HashValue h:
                effective = h.IsListpack ? Compact : Big;
                return new RdbHash(h.Entries().ToList());
            case SetValue s:
                effective = s.IsIntset ? Compact : Big;
                return new RdbSet(s.Members().ToList());
            case SortedSetValue z:
                effective = z.IsListpack ? Compact : Big;
                return new RdbZSet(z.Entries().ToList());
            case ListValue l:
                effective = limits with { ListMaxListpackSize = CollectionLimits.Current.ListMaxListpackSize };
                return new RdbList(l.Items().ToList());
            case StreamValue st:
                effective = limits with
                {
                    StreamNodeMaxBytes = CollectionLimits.Current.StreamNodeMaxBytes,
                    StreamNodeMaxEntries = CollectionLimits.Current.StreamNodeMaxEntries,
                };
                return StreamRdb.ToRdb(st);
            default:
                throw new ArgumentException($"cannot serialize a {value.GetType().Name}", nameof(value));
        }
    }

    /// <summary>The keyspace value for a decoded collection record; false for types the keyspace does not hold.</summary>
    public static bool TryFromRdb(RdbValue value, out object? stored)
    {
        using var restoring = ElementBytes.LongLived();
        var limits = CollectionLimits.Current;
        stored = value switch
        {
            RdbHash h => HashValue.From(h.Entries, limits),
            RdbSet s => SetValue.From(s.Members, limits),
            RdbZSet z => SortedSetValue.From(z.Entries, limits),
            RdbList l => ListValue.From(l.Items),
            RdbStream st => StreamRdb.FromRdb(st, limits),
            _ => null,
        };
        return stored != null;
    }
}
