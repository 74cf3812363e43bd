using System.Text;
using System.Buffers;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Networking;

namespace Codis.Server.Persistence;

/// <summary>
/// Replays AOF files at start: an RDB part first when the file begins with "REDIS" (a base, or an old single file
/// with an RDB preamble), then RESP commands run as a client whose replies are discarded. The caller holds the
/// keyspace lock. Errors say which file and at which byte offset.
/// </summary>
internal sealed class AofCommandLoader
{
    private readonly CodisServer server;
    private readonly CommandContext ctx;
    private readonly ArrayBufferWriter<byte> sink = new(1024);
    private readonly RespWriter reply;

    public AofCommandLoader(CodisServer server)
    {
        this.server = server;
        var session = new ClientSession(null, null, Environment.TickCount64) { Authenticated = true, IsInternal = true, IsReplay = true, Name = "aof-loader" };
        reply = new RespWriter(sink);
        ctx = new CommandContext(server, session, reply);
    }

    public RdbLoadResult? LoadFile(string path, bool isLast, bool allowTruncated)
    {
        string name = Path.GetFileName(path);
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        RdbLoadResult? rdb = null;
        long offset = 0;
        if (f.Length >= 5)
        {
            Span<byte> magic = stackalloc byte[5];
            f.ReadExactly(magic);
            f.Position = 0;
            if (magic.SequenceEqual("REDIS"u8))
            {
                rdb = RdbFileLoader.Load(f, server.Keyspace, new RdbFileLoader.Options { KeepExpired = true, NowMs = server.Keyspace.Now }, path);
                server.Persistence.LoadFunctions(rdb, path);
                offset = rdb.Bytes;
                f.Position = offset;
            }
        }
        ctx.Client.DbIndex = 0;
        long validEnd = ReplayCommands(f, offset, name, out bool truncated);
        if (truncated)
        {
            if (!isLast || !allowTruncated)
                throw new InvalidDataException(
                    $"Unexpected end of file reading the append only file {name} at offset {validEnd} (the last command is incomplete). " +
                    (isLast ? "Set aof-load-truncated yes to drop it, or run redis-check-aof --fix on the manifest after a backup."
                            : "Only the last file of a multi-part AOF may be truncated."));
            Log.Warn($"!!! Warning: short read while loading the AOF file {name}!!!", ("offset", validEnd), ("dropped_bytes", f.Length - validEnd));
            Log.Warn("AOF loaded anyway because aof-load-truncated is enabled; the incomplete last command was dropped and the file truncated", ("file", name));
            f.SetLength(validEnd);
            f.Flush(flushToDisk: true);
        }
        return rdb;
    }

    /// <summary>Runs every complete command; returns the offset after the last one.</summary>
    private long ReplayCommands(FileStream f, long start, string name, out bool truncated)
    {
        truncated = false;
        var buffer = new byte[1 << 16];
        int have = 0;
        long bufferStart = start; // file offset of buffer[0]
        var request = new RespRequest();
        bool eof = false;
        while (true)
        {
            int pos = 0;
            while (pos < have)
            {
                if (buffer[pos] != (byte)'*')
                    throw new InvalidDataException($"Bad file format reading the append only file {name} at offset {bufferStart + pos}: expected a RESP array. Make a backup of your AOF file, then run redis-check-aof --fix on its manifest.");
                ParseStatus status;
                int used;
                try
                {
                    status = RespRequestParser.TryParse(buffer.AsMemory(pos, have - pos), request, RespLimits.Default, true, out used, out _);
                }
                catch (RespProtocolException e)
                {
                    throw new InvalidDataException($"Bad file format reading the append only file {name} at offset {bufferStart + pos}: {e.Message}. Make a backup of your AOF file, then run redis-check-aof --fix on its manifest.");
                }
                if (status == ParseStatus.Incomplete) break;
                if (status == ParseStatus.Complete) Run(request, name, bufferStart + pos);
                pos += used;
            }
            if (eof)
            {
                if (openMultiAt >= 0)
                {
                    // The file ends inside MULTI … EXEC: like a cut command, the unfinished transaction is dropped.
                    ctx.Client.Multi = null;
                    truncated = true;
                    long at = openMultiAt;
                    openMultiAt = -1;
                    return at;
                }
                truncated = pos < have;
                return bufferStart + pos;
            }
            // Keep the unparsed tail, grow for a command larger than the buffer, read more.
            Buffer.BlockCopy(buffer, pos, buffer, 0, have - pos);
            have -= pos;
            bufferStart += pos;
            if (have == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int n = f.Read(buffer, have, buffer.Length - have);
            if (n <= 0) eof = true;
            else have += n;
        }
    }

    private void Run(RespRequest request, string name, long offset)
    {
        if (CommandTable.Find(request[0]) == null)
            throw new InvalidDataException($"Unknown command '{request.ToUtf8String(0)}' reading the append only file {name} at offset {offset}");
        server.Keyspace.RefreshClock();
        server.ExecuteOne(ctx, request);
        reply.Commit();
        sink.Clear();
        if (ctx.Client.Multi == null) openMultiAt = -1;
        else if (openMultiAt < 0) openMultiAt = offset;
    }

    private long openMultiAt = -1; // file offset of the MULTI of a transaction not closed yet
}
