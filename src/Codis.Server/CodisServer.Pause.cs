using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Networking;

namespace Codis.Server;

/// <summary>
/// CLIENT PAUSE: until a deadline, client batches that contain a write (WRITE mode) or any command (ALL mode) wait
/// before they run; replication links are never paused. Active expiry stops meanwhile, as in Redis, so that
/// nothing changes the data during the pause.
/// </summary>
internal sealed partial class CodisServer
{
    private long pauseUntil; // Environment.TickCount64 deadline; 0 = not paused
    private volatile bool pauseAll;

    public bool IsPaused => Volatile.Read(ref pauseUntil) > Environment.TickCount64;

    public void Pause(long milliseconds, bool all)
    {
        long until = Environment.TickCount64 + milliseconds;
        // A second pause extends, never shortens, and ALL wins over WRITE while both are active (as Redis).
        if (IsPaused)
        {
            until = Math.Max(until, Volatile.Read(ref pauseUntil));
            all |= pauseAll;
        }
        pauseAll = all;
        Volatile.Write(ref pauseUntil, until);
    }

    public void Unpause() => Volatile.Write(ref pauseUntil, 0);

    private bool MustWait(List<RespRequest> batch, ClientSession client)
    {
        if (!IsPaused || client.Kind != ClientKind.Normal) return false;
        if (pauseAll) return true;
        foreach (var r in batch)
        {
            if (CommandTable.Of(r) is not { } spec) continue;
            // A container's write subcommands (FUNCTION LOAD) wait too.
            var flags = spec.Flags | (spec.For(r)?.Flags ?? CommandFlags.None);
            if ((flags & (CommandFlags.Write | CommandFlags.MayReplicate)) != 0) return true;
            // EXEC is a write when it would run one.
            if (spec.Name == "exec" && client.Multi is { } tx && tx.Flags.HasFlag(CommandFlags.Write)) return true;
        }
        return false;
    }

    /// <summary>Waits (polling every few ms, only while a pause is on) until the batch may run.</summary>
    internal async ValueTask WaitWhilePausedAsync(List<RespRequest> batch, ClientSession client, CancellationToken token)
    {
        while (MustWait(batch, client))
        {
            long left = Volatile.Read(ref pauseUntil) - Environment.TickCount64;
            await Task.Delay((int)Math.Clamp(left, 1, 10), token).ConfigureAwait(false);
        }
    }
}
