using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>
/// redis.call / redis.pcall: the arguments become a request, which runs through the command table like any
/// other (<see cref="CodisServer.ExecuteOne"/>: arity, types, stats, propagation) on the script's client, after
/// the checks Redis makes for scripts. The reply comes back as Lua values.
/// </summary>
internal sealed partial class ScriptEngine
{
    private byte[] wire = new byte[256];
    private int wireLength;
    private readonly RespRequest request = new();
    private static readonly RespLimits CallLimits = new() { MaxBulkLength = long.MaxValue };
    private bool inCall;
    /// <summary>The client whose script runs: its ACL user is checked for every redis.call.</summary>
    private Networking.ClientSession? caller;

    /// <summary>The client whose script or function runs now (client-side caching counts its calls for it), or null.</summary>
    internal Networking.ClientSession? Caller => running ? caller : null;

    /// <summary>The EVAL/FCALL being run and its arguments (Redis 7.0 tracks its declared keys for a read in the script).</summary>
    internal (CommandSpec Spec, Core.Resp.RespRequest Request) CallerCommand { get; private set; }

    [UnmanagedCallersOnly]
    private static int NativeCall(IntPtr l)
    {
        var engine = From(l);
        if (engine.inCall) return Fail(l, "redis.call cannot run inside another redis.call");
        try
        {
            engine.inCall = true;
            return engine.Call(l);
        }
        catch (Exception e)
        {
            Log.Error("redis.call failed", ("error", e.ToString()));
            return Fail(l, e.Message);
        }
        finally
        {
            engine.inCall = false;
        }
    }

    /// <summary>Pushes (reply, failed): failed when the reply is an error, which redis.call raises.</summary>
    private int Call(IntPtr l)
    {
        int argc = lua_gettop(l);
        if (argc == 0) return Fail(l, "Please specify at least one argument for this redis lib call");
        wireLength = 0;
        AppendHeader((byte)'*', argc);
        Span<byte> number = stackalloc byte[32];
        for (int i = 1; i <= argc; i++)
        {
            int type = lua_type(l, i);
            if (type == TString)
            {
                AppendBulk(ToSpan(l, i, out _));
            }
            else if (type == TNumber)
            {
                // Integers exactly; floats with 17 digits, as Redis formats them (lua_tostring would lose precision).
                int n;
                if (lua_isinteger(l, i) != 0) Utf8Formatter.TryFormat(ToInteger(l, i), number, out n);
                else n = Encoding.ASCII.GetBytes(FormatFloat(ToNumber(l, i)), number);
                AppendBulk(number[..n]);
            }
            else return Fail(l, "Lua redis lib command arguments must be strings or integers");
        }
        try
        {
            RespRequestParser.TryParse(wire.AsMemory(0, wireLength), request, CallLimits, authenticated: true, out _, out _);
        }
        catch (RespProtocolException e)
        {
            return Fail(l, e.Message);
        }

        if (CheckCall() is { } refusal) return Fail(l, refusal);
        replyWriter.Commit();
        replies.ResetWrittenCount();
        server.ExecuteOne(scriptCtx, request);
        replyWriter.Commit();
        if (scriptCtx.Blocked is { } blocked)
        {
            server.Blocking.Release(blocked, null);
            scriptCtx.Blocked = null;
            return Fail(l, "This Redis command is not allowed from script");
        }
        var reply = replies.WrittenSpan;
        if (lua_checkstack(l, 4) == 0) return Fail(l, "reached lua stack limit");
        int pos = 0;
        RespToLua.Push(l, reply, ref pos);
        lua_pushboolean(l, reply.Length > 0 && reply[0] == (byte)'-' ? 1 : 0);
        return 2;
    }

    /// <summary>Why the request may not run from this script (Redis's words), or null.</summary>
    private string? CheckCall()
    {
        var spec = CommandTable.Find(request[0]);
        if (spec == null) return "Unknown Redis command called from script";
        // A container's unknown subcommand is an unknown command to a script, as Redis looks it up.
        if (spec.For(request) is not { } effective) return "Unknown Redis command called from script";
        if (!spec.ArityOk(request.Count) || !effective.ArityOk(request.Count)) return "Wrong number of args calling Redis command from script";
        if ((effective.Flags & (CommandFlags.NoScript | CommandFlags.NoLock)) != 0) return "This Redis command is not allowed from script";
        if (caller is { User.Unrestricted: false } client && server.AclRefusal(client, effective, request, Acl.AclLogContext.Lua) is { } denial)
            return Acl.AclErrors.FromScript(denial);
        // A read-only script may not write, nor run what may replicate (PUBLISH), as Redis 7.0.
        if (readOnlyRun && (effective.Flags & (CommandFlags.Write | CommandFlags.MayReplicate)) != 0)
            return "Write commands are not allowed from read-only scripts.";
        if (effective.Has(CommandFlags.Write))
        {
            if (server.Propagation.RefuseWrite(scriptCtx) is { } refusal) return "-" + refusal;
            wrote = true; // from here SCRIPT KILL would leave a half-done script: refused
        }
        return null;
    }

    /// <summary>C's %.17g, Redis's format for a float argument and a {double=} reply.</summary>
    internal static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        return CommandContext.G17(d);
    }

    private void AppendHeader(byte prefix, long n)
    {
        Reserve(24);
        wire[wireLength++] = prefix;
        Utf8Formatter.TryFormat(n, wire.AsSpan(wireLength), out int w);
        wireLength += w;
        wire[wireLength++] = (byte)'\r';
        wire[wireLength++] = (byte)'\n';
    }

    private void AppendBulk(ReadOnlySpan<byte> bytes)
    {
        AppendHeader((byte)'$', bytes.Length);
        Reserve(bytes.Length + 2);
        bytes.CopyTo(wire.AsSpan(wireLength));
        wireLength += bytes.Length;
        wire[wireLength++] = (byte)'\r';
        wire[wireLength++] = (byte)'\n';
    }

    private void Reserve(int more)
    {
        if (wireLength + more <= wire.Length) return;
        Array.Resize(ref wire, Math.Max(wire.Length * 2, wireLength + more));
    }

    /// <summary>Pushes (error table, true); the message is "-CODE text" or a text for the code ERR.</summary>
    private static int Fail(IntPtr l, string message)
    {
        lua_settop(l, 0);
        RespToLua.PushError(l, Encoding.UTF8.GetBytes(message));
        lua_pushboolean(l, 1);
        return 2;
    }
}
