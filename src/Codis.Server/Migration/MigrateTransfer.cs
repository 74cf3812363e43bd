using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Server.Migration;

/// <summary>What the target answered to one pipelined MIGRATE request.</summary>
internal sealed class TransferResult(int count)
{
    /// <summary>Per key command: the target applied it (and AUTH and SELECT, if sent, succeeded).</summary>
    public bool[] Applied { get; } = new bool[count];

    /// <summary>The reply for the client when something failed: the target's first error, or an IOERR.</summary>
    public string? Error { get; set; }

    /// <summary>The link broke or timed out: it must be closed.</summary>
    public bool LinkFailed { get; set; }

    public bool TimedOut { get; set; }

    public bool AnyApplied => Array.IndexOf(Applied, true) >= 0;
}

/// <summary>
/// Sends [AUTH] [SELECT db] and one command per key (RESTORE key ttl payload [REPLACE], or DEL) in one write, as
/// Redis pipelines them, then reads every reply, each read bounded by the timeout. Runs on the calling thread.
/// </summary>
internal static class MigrateTransfer
{
    private const int WritePiece = 64 * 1024;

    public static byte[][] Restore(byte[] key, long ttlMs, byte[] payload, bool replace) => replace
        ? ["RESTORE"u8.ToArray(), key, Number(ttlMs), payload, "REPLACE"u8.ToArray()]
        : ["RESTORE"u8.ToArray(), key, Number(ttlMs), payload];

    public static byte[][] Delete(byte[] key) => ["DEL"u8.ToArray(), key];

    public static TransferResult Send(MigrateLink link, MigrateOptions o, IReadOnlyList<byte[][]> keyCommands)
    {
        var result = new TransferResult(keyCommands.Count);
        bool select = link.Db != o.Db;
        using var request = new MemoryStream();
        if (o.Auth is { } auth) RespValue.WriteCommand(request, ["AUTH"u8.ToArray(), .. auth]);
        if (select) RespValue.WriteCommand(request, ["SELECT"u8.ToArray(), Number(o.Db)]);
        foreach (var c in keyCommands) RespValue.WriteCommand(request, c);

        var connection = link.Connection;
        connection.TimeoutMs = o.TimeoutMs;
        try
        {
            var bytes = request.GetBuffer().AsSpan(0, (int)request.Length);
            for (int off = 0; off < bytes.Length; off += WritePiece)
                connection.Send(bytes.Slice(off, Math.Min(WritePiece, bytes.Length - off)));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            return Failed(result, link, MigrateLinks.WriteError, e);
        }
        int i = 0;
        try
        {
            string? authError = o.Auth != null ? ErrorOf(connection.Read()) : null;
            string? selectError = select ? ErrorOf(connection.Read()) : null;
            if (select && selectError == null) link.Db = o.Db;
            // A refused AUTH or SELECT is the one reported, and then no key counts as moved (its RESTORE may have
            // landed in another db, or been refused for the missing auth).
            result.Error = authError != null || selectError != null ? Target(authError ?? selectError!) : null;
            for (; i < keyCommands.Count; i++)
            {
                string? error = ErrorOf(connection.Read());
                if (error != null) result.Error ??= Target(error);
                else if (authError == null && selectError == null) result.Applied[i] = true;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or RespProtocolException)
        {
            return Failed(result, link, MigrateLinks.ReadError, e);
        }
        return result;
    }

    private static TransferResult Failed(TransferResult result, MigrateLink link, string error, Exception e)
    {
        Log.Debug("migrate: target link failed", ("target", link.Name), ("error", e.Message));
        result.Error = error;
        result.LinkFailed = true;
        result.TimedOut = e is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock };
        return result;
    }

    private static string Target(string error) => "ERR Target instance replied with error: " + error;

    private static string? ErrorOf(RespValue reply) => reply.IsError ? Encoding.UTF8.GetString(reply.Bytes!) : null;

    private static byte[] Number(long n) => Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture));
}
