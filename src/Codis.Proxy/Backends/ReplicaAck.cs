using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Proxy.Sessions;

namespace Codis.Proxy.Backends;

/// <summary>
/// backend_replica_ack: the WAIT the proxy sends behind writes, and what its answer means for them. Shared by
/// the pooled connections (one WAIT per send) and the transactions' pinned ones (one WAIT behind EXEC).
/// </summary>
internal static class ReplicaAck
{
    /// <summary>WAIT numreplicas timeout-ms, or null when the option is off.</summary>
    public static byte[]? WaitCommand(BackendOptions options) => options.ReplicaAck <= 0 ? null :
        RespValue.EncodeCommand(["WAIT"u8.ToArray(), Encoding.ASCII.GetBytes(options.ReplicaAck.ToString()),
            Encoding.ASCII.GetBytes(((long)options.ReplicaAckTimeout.TotalMilliseconds).ToString())]);

    /// <summary>
    /// Null when the WAIT counted enough replicas; else the error the covered writes get instead of their replies:
    /// the master applied them, but a failover could lose them, so no client may take them as acknowledged.
    /// </summary>
    public static byte[]? Refusal(byte[] waitReply, BackendOptions options, string address, int writes)
    {
        long acked = -1;
        if (waitReply.Length > 3 && waitReply[0] == (byte)':')
            System.Buffers.Text.Utf8Parser.TryParse(waitReply.AsSpan(1, waitReply.Length - 3), out acked, out _);
        if (acked >= options.ReplicaAck) return null;
        string why = acked >= 0
            ? $"{acked} of {options.ReplicaAck} replicas confirmed it within {(long)options.ReplicaAckTimeout.TotalMilliseconds} ms"
            : $"the master could not count its replicas ({(Replies.IsError(waitReply) ? Replies.ErrorText(waitReply) : "unexpected WAIT reply")})";
        Log.Debug("writes not confirmed by enough replicas", ("backend", address), ("writes", writes), ("why", why));
        return Replies.Error($"NOREPLICAS the write was applied by the master {address} but {why} (backend_replica_ack): it is not durable and may be lost on a failover");
    }
}
