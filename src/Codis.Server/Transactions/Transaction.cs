using Codis.Core.Resp;
using Codis.Server.Commands;

namespace Codis.Server.Transactions;

/// <summary>
/// The MULTI state of one client: the commands queued so far (copied out of the receive buffer, which is reused)
/// and whether one of them was refused, which makes EXEC answer EXECABORT without running anything.
/// </summary>
internal sealed class Transaction
{
    public List<(CommandSpec Spec, RespRequest Request)> Queue { get; } = new();

    /// <summary>A command was refused while queuing (Redis's CLIENT_DIRTY_EXEC).</summary>
    public bool Aborted { get; set; }

    /// <summary>The union of the queued commands' flags: EXEC is checked as a write (or deny-oom) if any is one.</summary>
    public CommandFlags Flags { get; private set; }

    /// <summary>Bytes of the queued arguments (CLIENT LIST multi-mem).</summary>
    public long Bytes { get; private set; }

    public void Add(CommandSpec spec, RespRequest request)
    {
        var args = new byte[request.Count][];
        long bytes = 0;
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = request.ToArray(i);
            bytes += args[i].Length;
        }
        Queue.Add((spec, RespRequest.FromArgs(args)));
        Flags |= spec.Flags;
        Bytes += bytes;
    }

    /// <summary>The commands that run at once inside MULTI instead of being queued (as in Redis).</summary>
    public static bool RunsImmediately(CommandSpec spec) =>
        spec.Name is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";
}
