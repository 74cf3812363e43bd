using System.IO.Pipelines;
using System.Net;

namespace Codis.Server.Networking;

/// <summary>The state of one client connection that commands read and change (CLIENT LIST shows it).</summary>
internal sealed class ClientSession
{
    private static long nextId;

    public ClientSession(EndPoint? remote, EndPoint? local, long now)
    {
        Id = Interlocked.Increment(ref nextId);
        Remote = remote?.ToString() ?? "?";
        Local = local?.ToString() ?? "?";
        CreatedAt = now;
        LastInteraction = now;
    }

    public long Id { get; }
    public string Remote { get; }
    public string Local { get; }
    public long CreatedAt { get; }
    public long LastInteraction { get; set; }
    public string? Name { get; set; }
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }
    public int DbIndex { get; set; }
    public bool Authenticated { get; set; }
    public string LastCommand { get; set; } = "NULL";

    /// <summary>Close after the current reply is written (QUIT, CLIENT KILL of itself).</summary>
    public bool CloseAfterReply { get; set; }

    /// <summary>Internal links (replication, migration) are not subject to idle timeouts.</summary>
    public bool IsInternal { get; set; }

    /// <summary>Commands replayed from the AOF or a master link: exempt from read-only/MISCONF refusals.</summary>
    public bool IsReplay { get; set; }

    /// <summary>This session applies its master's replication stream (what it runs goes to the AOF only).</summary>
    public bool IsMasterLink { get; set; }

    /// <summary>
    /// Set by PSYNC/SYNC: once the replies so far are flushed, the connection hands its pipes to replication,
    /// which owns them from then on (the RDB transfer, the command stream, the replica's ACKs).
    /// </summary>
    public Func<PipeReader, PipeWriter, Task>? TakeOver { get; set; }

    /// <summary>What a replica told us with REPLCONF before PSYNC.</summary>
    public Replication.ReplicaHandshake? ReplicaHandshake { get; set; }

    /// <summary>Set by CLIENT KILL and shutdown: the connection closes as soon as it can.</summary>
    public CancellationTokenSource Closing { get; } = new();

    public void Kill()
    {
        try { Closing.Cancel(); } catch (ObjectDisposedException) { }
    }

    public long InputBufferBytes { get; set; }
    public long OutputBufferBytes { get; set; }
}
