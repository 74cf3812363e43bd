using System.Globalization;
using System.Text;

namespace Codis.Server.Persistence;

/// <summary>The replication fields an RDB carries when it is a full-sync payload or a replica's own file (§5.8).</summary>
internal sealed record ReplicationAux(string ReplId, long Offset, int StreamDb);

/// <summary>
/// Writes a <see cref="KeyspaceSnapshot"/> as a whole RDB file in 7.0's layout (redis-formats.md §4.1): header, aux
/// fields, per non-empty database SELECTDB + RESIZEDB + key records, EOF and the CRC-64 trailer. Values go through
/// <see cref="RdbValueWriter"/>, the same conversion DUMP uses, so every type the keyspace can hold is written.
/// Runs off the keyspace lock; output is drained to the stream in blocks.
/// </summary>
internal sealed class RdbFileWriter
{
    private const int FlushThreshold = 256 * 1024;

    private readonly Stream output;
    private readonly RdbWriter buffer;
    private readonly RdbWriter scratch;
    private readonly bool checksum;
    private ulong crc;

    public RdbFileWriter(Stream output, bool compression = true, bool checksum = true)
    {
        this.output = output;
        this.checksum = checksum;
        buffer = new RdbWriter(FlushThreshold + 64 * 1024) { Compression = compression };
        scratch = new RdbWriter(4096) { Compression = compression };
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes the whole file. <paramref name="aofBase"/> marks the base file of a multi-part AOF.</summary>
    public void Write(KeyspaceSnapshot snapshot, ReplicationAux? repl = null, bool aofBase = false, long usedMemory = 0,
        CancellationToken cancel = default)
    {
        buffer.WriteRaw("REDIS0010"u8);
        Aux("redis-ver", Commands.Info.RedisVersion);
        Aux("redis-bits", "64");
        Aux("ctime", (snapshot.TakenAtMs / 1000).ToString(CultureInfo.InvariantCulture));
        Aux("used-mem", usedMemory.ToString(CultureInfo.InvariantCulture));
        if (repl != null)
        {
            Aux("repl-stream-db", repl.StreamDb.ToString(CultureInfo.InvariantCulture));
            Aux("repl-id", repl.ReplId);
            Aux("repl-offset", repl.Offset.ToString(CultureInfo.InvariantCulture));
        }
        Aux("aof-base", aofBase ? "1" : "0");
        // Function libraries come before the databases, as Redis 7.0 writes them.
        foreach (var code in snapshot.Functions)
        {
            buffer.WriteByte(RdbOpcode.Function2);
            buffer.WriteString(code);
        }
        for (int d = 0; d < snapshot.DatabaseCount; d++)
        {
            if (snapshot.Count(d) == 0) continue;
            buffer.WriteByte(RdbOpcode.SelectDb);
            buffer.WriteLength((ulong)d);
            buffer.WriteByte(RdbOpcode.ResizeDb);
            buffer.WriteLength((ulong)snapshot.Count(d));
            buffer.WriteLength((ulong)snapshot.ExpiresCount(d));
            foreach (var e in snapshot.Entries(d))
            {
                WriteKey(e, snapshot);
                if (buffer.Length >= FlushThreshold)
                {
                    cancel.ThrowIfCancellationRequested();
                    Drain();
                }
            }
        }
        buffer.WriteByte(RdbOpcode.Eof);
        Drain();
        ulong trailer = checksum ? crc : 0;
        buffer.WriteUInt64LE(trailer);
        var tail = buffer.WrittenSpan;
        output.Write(tail);
        BytesWritten += tail.Length;
        buffer.Clear();
        output.Flush();
    }

    private void WriteKey(in SnapshotEntry e, KeyspaceSnapshot snapshot)
    {
        if (e.ExpireAt != 0)
        {
            buffer.WriteByte(RdbOpcode.ExpireTimeMs);
            buffer.WriteUInt64LE((ulong)e.ExpireAt);
        }
        // As Redis 7.0 under an LRU or LFU policy: the key's idle seconds or its counter, so a restart or a replica
        // evicts as this server would have.
        if (snapshot.AccessKind == Storage.Eviction.AccessKind.Lru)
        {
            buffer.WriteByte(RdbOpcode.Idle);
            long now = snapshot.TakenAtMs / 1000;
            buffer.WriteLength(e.Access == 0 ? 0 : (ulong)Math.Max(0, now - e.Access));
        }
        else if (snapshot.AccessKind == Storage.Eviction.AccessKind.Lfu)
        {
            buffer.WriteByte(RdbOpcode.Freq);
            buffer.WriteByte((byte)Storage.Eviction.Lfu.Counter(e.Access, snapshot.TakenAtMs, snapshot.LfuDecayMinutes));
        }
        if (e.Value is byte[] s)
        {
            buffer.WriteByte(RdbType.String);
            buffer.WriteString(e.Key);
            buffer.WriteString(s);
            return;
        }
        // The value codec writes "type · value"; a record is "type · key · value".
        scratch.Clear();
        RdbValueWriter.Write(scratch, e.Value);
        var encoded = scratch.WrittenSpan;
        buffer.WriteByte(encoded[0]);
        buffer.WriteString(e.Key);
        buffer.WriteRaw(encoded[1..]);
    }

    private void Aux(string name, string value)
    {
        buffer.WriteByte(RdbOpcode.Aux);
        buffer.WriteString(Encoding.ASCII.GetBytes(name));
        buffer.WriteString(Encoding.UTF8.GetBytes(value));
    }

    private void Drain()
    {
        var span = buffer.WrittenSpan;
        if (span.IsEmpty) return;
        if (checksum) crc = Crc64.Update(crc, span);
        output.Write(span);
        BytesWritten += span.Length;
        buffer.Clear();
    }
}
