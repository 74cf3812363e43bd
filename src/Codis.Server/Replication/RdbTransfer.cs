using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Codis.Core.Logging;
using Codis.Server.Persistence;

namespace Codis.Server.Replication;

/// <summary>
/// Sends a full-sync snapshot to a replica (§5.3): diskless as <c>$EOF:&lt;40 hex&gt;\r\n</c> + RDB + the same mark,
/// or from disk as <c>$&lt;length&gt;\r\n</c> + the RDB file (no trailing CRLF). Runs off the keyspace lock.
/// </summary>
internal static class RdbTransfer
{
    /// <returns>whether the command stream should follow (false for rdb-only clients such as redis-cli --rdb)</returns>
    public static async Task<bool> SendAsync(CodisServer server, PipeWriter writer, KeyspaceSnapshot snapshot,
        ReplicationAux aux, bool diskless, bool keepStreaming)
    {
        bool compression = server.Settings["rdbcompression"].AsBool;
        try
        {
            if (diskless)
            {
                var mark = Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant());
                writer.Write("$EOF:"u8);
                writer.Write(mark);
                writer.Write("\r\n"u8);
                // The writer blocks on socket back-pressure: run it on its own thread, not the pool's.
                await Task.Factory.StartNew(() =>
                {
                    using var stream = writer.AsStream(leaveOpen: true);
                    new RdbFileWriter(stream, compression).Write(snapshot, aux, usedMemory: PersistenceManager.UsedMemoryEstimate());
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                writer.Write(mark);
                await writer.FlushAsync().ConfigureAwait(false);
            }
            else
            {
                string temp = Path.Combine(server.Persistence.Dir, $"temp-sync-{Environment.ProcessId}-{Guid.NewGuid():N}.rdb");
                try
                {
                    await Task.Factory.StartNew(() =>
                    {
                        using var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                        new RdbFileWriter(f, compression).Write(snapshot, aux, usedMemory: PersistenceManager.UsedMemoryEstimate());
                    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                    snapshot.Dispose();
                    await using var file = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                    writer.Write(Encoding.ASCII.GetBytes($"${file.Length}\r\n"));
                    await file.CopyToAsync(writer).ConfigureAwait(false);
                    await writer.FlushAsync().ConfigureAwait(false);
                }
                finally
                {
                    try { File.Delete(temp); } catch (IOException) { }
                }
            }
            Log.Info("Synchronization RDB sent", ("diskless", diskless), ("keys", snapshot.KeyCount));
            return keepStreaming;
        }
        finally
        {
            snapshot.Dispose();
        }
    }
}
