using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>
/// The time limit. A script runs under the keyspace lock, so a long one holds every other client up; past
/// busy-reply-threshold those clients stop waiting for the lock and are answered -BUSY instead (SCRIPT KILL and
/// SHUTDOWN NOSAVE are served), while the script's hook looks at the kill flag every 100,000 instructions.
/// </summary>
internal sealed partial class ScriptEngine
{
    public const string BusyError = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    private const string BusyFunctionError = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
    private const string KilledError = "ERR Script killed by user with SCRIPT KILL...";
    private const string LoadTimeoutError = "ERR FUNCTION LOAD timeout";

    /// <summary>How long a library's code may run at FUNCTION LOAD (Redis 7.0's fixed limit).</summary>
    private const int LoadTimeoutMs = 500;
    private const string UnkillableError = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
    private const string NotBusyError = "NOTBUSY No scripts in execution right now.";

    /// <summary>How long a connection waits for the lock before it looks again whether a script went over the limit.</summary>
    private const int LockPollMs = 10;

    private long busyThresholdMs;
    private volatile bool running;
    private long runStart;
    private volatile bool killRequested;
    private volatile bool wrote;
    private bool readOnlyRun;
    private bool slowLogged;
    private string runningSha = "";
    /// <summary>The FCALL of the function running (FUNCTION STATS), null when an EVAL script runs.</summary>
    private RespRequest? runningFunction;
    /// <summary>While a library's code runs at load: when it times out (Stopwatch timestamp), else 0.</summary>
    private long loadDeadline;

    private void BeginRun(string sha, bool readOnly, RespRequest? function)
    {
        runningSha = sha;
        runningFunction = function;
        readOnlyRun = readOnly;
        wrote = false;
        killRequested = false;
        slowLogged = false;
        server.Propagation.Hold();
        Volatile.Write(ref runStart, Stopwatch.GetTimestamp());
        running = true;
    }

    private void EndRun()
    {
        running = false;
        runningFunction = null;
        killRequested = false;
        server.Propagation.ReleaseHeld();
        if (slowLogged) Log.Warn("Slow script finished", ("script", runningSha), ("ms", (long)Stopwatch.GetElapsedTime(runStart).TotalMilliseconds));
    }

    /// <summary>A script has been running longer than busy-reply-threshold.</summary>
    public bool Busy => running && Stopwatch.GetElapsedTime(Volatile.Read(ref runStart)).TotalMilliseconds >= busyThresholdMs;

    /// <summary>The hook's question: stop now? The error to stop with, or false.</summary>
    [UnmanagedCallersOnly]
    private static int NativeCheck(IntPtr l)
    {
        var engine = From(l);
        if (engine.loadDeadline != 0)
        {
            if (Stopwatch.GetTimestamp() < engine.loadDeadline)
            {
                lua_pushboolean(l, 0);
                return 1;
            }
            // Once: the library's code cannot catch it (no pcall at load), and the hook now fires on every instruction.
            engine.loadDeadline = 0;
            PushString(l, LoadTimeoutError);
            return 1;
        }
        if (!engine.slowLogged && engine.Busy)
        {
            engine.slowLogged = true;
            Log.Warn($"Slow script detected: still in execution after {engine.busyThresholdMs} milliseconds. You can try killing the script using the SCRIPT KILL command.",
                ("script", engine.runningSha));
        }
        if (engine.killRequested) PushString(l, KilledError);
        else lua_pushboolean(l, 0);
        return 1;
    }

    /// <summary>SCRIPT KILL / FUNCTION KILL (from another connection, without the lock): each kills its own kind.</summary>
    public void Kill(RespWriter reply, bool function)
    {
        if (!running) reply.WriteError(NotBusyError);
        else if (function != (runningFunction != null)) reply.WriteError(runningFunction != null ? BusyFunctionError : BusyError);
        else if (wrote) reply.WriteError(UnkillableError);
        else
        {
            killRequested = true;
            reply.WriteOk();
        }
    }

    /// <summary>
    /// Called by <see cref="CodisServer.Execute"/> when the lock is taken. Waits for it in short slices; returns
    /// true holding it (run the batch from <paramref name="from"/>), or false once a script went past the time
    /// limit and the batch was answered here. SHUTDOWN NOSAVE kills even a script that wrote, then waits its turn.
    /// </summary>
    public bool WaitForLock(Commands.CommandContext ctx, List<RespRequest> batch, ref int from)
    {
        var theLock = server.Keyspace.Lock;
        while (!theLock.TryEnter(LockPollMs))
        {
            if (!Busy) continue;
            for (int i = from; i < batch.Count; i++)
            {
                var request = batch[i];
                if ((Is(request, 0, "script") || Is(request, 0, "function")) && request.Count == 2 && Is(request, 1, "kill"))
                {
                    Kill(ctx.Reply, function: Is(request, 0, "function"));
                }
                else if (Is(request, 0, "function") && request.Count == 2 && Is(request, 1, "stats") && runningFunction != null)
                {
                    WriteFunctionStats(ctx.Reply);
                }
                else if (Is(request, 0, "shutdown") && request.Count >= 2 && Is(request, 1, "nosave"))
                {
                    Log.Warn("SHUTDOWN NOSAVE while a script runs: killing it", ("script", runningSha));
                    killRequested = true;
                    from = i;
                    theLock.Enter();
                    return true;
                }
                else
                {
                    string busy = runningFunction != null ? BusyFunctionError : BusyError;
                    ctx.Reply.WriteError(busy);
                    server.Stats.CountError(busy);
                }
            }
            from = batch.Count;
            return false;
        }
        return true;
    }

    private static bool Is(RespRequest request, int i, string word) => Ascii.EqualsIgnoreCase(request[i], word);
}
