using System.Buffers;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Networking;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>
/// The scripting engine: EVAL's Lua 5.4 state (created on the first script, dropped by SCRIPT FLUSH) with the
/// script cache by SHA1, the function libraries' own state (ScriptEngine.Functions.cs), and the run in progress.
/// Scripts run inside the EVAL (FCALL) command, so under the keyspace lock: atomic.
/// Everything here runs under that lock except the few volatile fields other connections read while a script
/// runs past busy-reply-threshold (see ScriptEngine.Busy.cs).
/// </summary>
internal sealed unsafe partial class ScriptEngine
{
    private readonly CodisServer server;
    /// <summary>A cached script: its body, its compiled function (a reference in the Lua registry), its shebang's flags (null: none).</summary>
    private sealed record Cached(byte[] Body, int FunctionRef, FunctionFlags? Flags);

    private readonly Dictionary<string, Cached> cache = new(StringComparer.Ordinal);
    private long cachedBytes;
    private GCHandle self;

    /// <summary>One Lua state with the sandbox, and the handles the host keeps into it (registry references).</summary>
    private sealed class Vm(KeraLua.Lua lua) : IDisposable
    {
        public KeraLua.Lua Lua { get; } = lua;
        public IntPtr State => Lua.Handle;
        public int GlobalsRef, ArmRef, CompileRef, LibraryRef, HandlerRef;
        public bool HookArmed;

        public long Memory => Lua.GarbageCollector(KeraLua.LuaGC.Count, 0) * 1024L + Lua.GarbageCollector(KeraLua.LuaGC.Countb, 0);

        public void Dispose() => Lua.Dispose();
    }

    private Vm? evalVm;

    // The script client: what the commands a script calls see as their client, and where their replies go.
    private readonly ClientSession session;
    private readonly ArrayBufferWriter<byte> replies = new(1024);
    private readonly RespWriter replyWriter;
    private readonly CommandContext scriptCtx;

    public ScriptEngine(CodisServer server)
    {
        this.server = server;
        session = new ClientSession(new NamedEndPoint("lua"), null, Environment.TickCount64) { Authenticated = true, IsInternal = true, IsScript = true };
        replyWriter = new RespWriter(replies);
        scriptCtx = new CommandContext(server, session, replyWriter) { Output = replies, DenyBlocking = true };
        var threshold = server.Settings["busy-reply-threshold"];
        busyThresholdMs = threshold.AsLong;
        threshold.Changed = s => busyThresholdMs = s.AsLong;
    }

    private sealed class NamedEndPoint(string name) : EndPoint
    {
        public override string ToString() => name;
    }

    public int CachedScripts => cache.Count;

    /// <summary>INFO used_memory_lua: what the Lua state holds (0 before the first script).</summary>
    public long LuaMemory => evalVm?.Memory ?? 0;

    /// <summary>INFO used_memory_scripts: the cached script bodies.</summary>
    public long CachedBytes => cachedBytes;

    public static string Sha1Hex(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA1.HashData(body));

    /// <summary>Whether a script is cached (SCRIPT EXISTS, EVALSHA); the SHA1 in any case.</summary>
    public bool Exists(ReadOnlySpan<byte> sha) => sha.Length == 40 && cache.ContainsKey(Lower(sha));

    private static string Lower(ReadOnlySpan<byte> sha) => Encoding.ASCII.GetString(sha).ToLowerInvariant();

    /// <summary>SCRIPT FLUSH: forgets every script and the Lua state with whatever it accumulated.</summary>
    public void Flush()
    {
        cache.Clear();
        cachedBytes = 0;
        evalVm?.Dispose();
        evalVm = null;
    }

    /// <summary>SCRIPT LOAD / EVAL: compiles and caches a body; returns the error reply when it does not compile.</summary>
    public string? Load(ReadOnlySpan<byte> body, out string sha)
    {
        sha = Sha1Hex(body);
        if (cache.ContainsKey(sha)) return null;
        if (ShebangError(body, out var flags) is { } shebangError) return shebangError;
        var l = (evalVm ??= CreateVm()).State;
        lua_rawgeti(l, RegistryIndex, evalVm.CompileRef);
        PushBytes(l, TailCalls.Untail(WithoutShebang(body)));
        string? error = null;
        if (PCall(l, 1, 2, 0) != Ok) error = ToText(l, -1) ?? "unknown error";
        else if (lua_type(l, -2) != TFunction) error = ToText(l, -1) ?? "unknown error";
        else
        {
            lua_settop(l, -2);
            int functionRef = luaL_ref(l, RegistryIndex);
            cache[sha] = new Cached(body.ToArray(), functionRef, flags);
            cachedBytes += body.Length;
        }
        lua_settop(l, 0);
        if (error != null) return "ERR Error compiling script (new function): " + error;
                return null;
    }

    /// <summary>Redis 7's "#!lua flags=..." first line becomes a comment for Lua, so that line numbers stay the same.</summary>
    private static ReadOnlySpan<byte> WithoutShebang(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith("#!"u8)) return body;
        var copy = body.ToArray();
        copy[0] = (byte)'-';
        copy[1] = (byte)'-';
        return copy;
    }

    /// <summary>The shebang checks Redis 7 makes before running: an error text, or null and the declared flags (null: no shebang).</summary>
    private static string? ShebangError(ReadOnlySpan<byte> body, out FunctionFlags? flags)
    {
        flags = null;
        if (!body.StartsWith("#!"u8)) return null;
        var declared = FunctionFlags.None;
        int eol = body.IndexOf((byte)'\n');
        string line = Encoding.UTF8.GetString(eol < 0 ? body[2..] : body[2..eol]).TrimEnd('\r');
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != "lua") return "ERR Unexpected engine in script shebang: #!" + (parts.Length == 0 ? "" : parts[0]);
        foreach (var part in parts.Skip(1))
        {
            if (!part.StartsWith("flags=", StringComparison.Ordinal)) return $"ERR Unknown lua shebang option: {part}";
            foreach (var flag in part[6..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var known = flag switch
                {
                    "no-writes" => FunctionFlags.NoWrites,
                    "allow-oom" => FunctionFlags.AllowOom,
                    "allow-stale" => FunctionFlags.AllowStale,
                    "no-cluster" => FunctionFlags.NoCluster,
                    "allow-cross-slot-keys" => FunctionFlags.AllowCrossSlotKeys,
                    _ => FunctionFlags.None,
                };
                if (known == FunctionFlags.None) return $"ERR Unexpected flag in script shebang: {flag}";
                declared |= known;
            }
        }
        flags = declared;
        return null;
    }

    private Vm CreateVm()
    {
        var vm = new Vm(new KeraLua.Lua(openLibs: true));
        if (!self.IsAllocated) self = GCHandle.Alloc(this);
        var l = vm.State;
        using (var stream = typeof(ScriptEngine).Assembly.GetManifestResourceStream("Codis.Server.Scripting.Sandbox.lua")!)
        {
            var code = new byte[stream.Length];
            stream.ReadExactly(code);
            if (LuaNative.Load(l, code, "=codis") != Ok) throw new InvalidOperationException("Sandbox.lua: " + ToText(l, -1));
        }
        lua_createtable(l, 0, 16);
        Native(l, "call", &NativeCall);
        Native(l, "check", &NativeCheck);
        Native(l, "sha1hex", &NativeSha1Hex);
        Native(l, "log", &NativeLog);
        Native(l, "set_repl", &NativeSetRepl);
        Native(l, "set_resp", &NativeSetResp);
        Native(l, "known", &NativeKnown);
        Native(l, "json_encode", &LuaJson.Encode);
        Native(l, "json_decode", &LuaJson.Decode);
        PushString(l, "json_null");
        lua_pushlightuserdata(l, IntPtr.Zero);
        lua_rawset(l, -3);
        PushString(l, "version");
        PushString(l, Info.RedisVersion);
        lua_rawset(l, -3);
        PushString(l, "version_num");
        var v = Version.Parse(Info.RedisVersion);
        lua_pushinteger(l, (v.Major << 16) | (v.Minor << 8) | v.Build);
        lua_rawset(l, -3);
        if (PCall(l, 1, 1, 0) != Ok) throw new InvalidOperationException("Sandbox.lua: " + ToText(l, -1));
        vm.GlobalsRef = Field(l, "globals");
        vm.CompileRef = Field(l, "compile");
        vm.LibraryRef = Field(l, "library");
        vm.ArmRef = Field(l, "arm");
        lua_pushlightuserdata(l, GCHandle.ToIntPtr(self));
        lua_pushcclosure(l, &NativeMessageHandler, 1);
        vm.HandlerRef = luaL_ref(l, RegistryIndex);
        lua_settop(l, 0);
        return vm;
    }

    private void Native(IntPtr l, string name, delegate* unmanaged<IntPtr, int> fn)
    {
        PushString(l, name);
        lua_pushlightuserdata(l, GCHandle.ToIntPtr(self));
        lua_pushcclosure(l, fn, 1);
        lua_rawset(l, -3);
    }

    private static int Field(IntPtr l, string name)
    {
        PushString(l, name);
        lua_rawget(l, -2);
        return luaL_ref(l, RegistryIndex);
    }

    internal static ScriptEngine From(IntPtr l) =>
        (ScriptEngine)GCHandle.FromIntPtr(lua_touserdata(l, UpvalueIndex(1))).Target!;

    /// <summary>EVAL, EVALSHA and their _RO forms: argument checks, the cache, then the run.</summary>
    public void Eval(CommandContext ctx, bool bySha, bool readOnly)
    {
        // A digest that is not 40 characters cannot match: Redis says so before it looks at numkeys.
        if (bySha && ctx.Args.Length(1) != 40)
        {
            ctx.Error("NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        if (!TryNumKeys(ctx, Errors.NotInteger, out int numkeys)) return;
        string sha;
        Cached? script;
        if (bySha)
        {
            if (ctx.Args.Length(1) != 40 || !cache.TryGetValue(sha = Lower(ctx.Arg(1)), out script))
            {
                ctx.Error("NOSCRIPT No matching script. Please use EVAL.");
                return;
            }
        }
        else
        {
            if (Load(ctx.Arg(1), out sha) is { } error)
            {
                ctx.Error(error);
                return;
            }
            script = cache[sha];
        }
        // A script that declares its flags (a shebang line) is judged by them, as a function is.
        if (script.Flags is { } flags && FlagRefusal(ctx, flags, readOnly) is { } refusal)
        {
            ctx.Error(refusal);
            return;
        }
        // MONITOR shows the EVAL before the commands its script runs (the command itself is flagged SkipMonitor).
        if (server.Monitors.Active) server.Monitors.Feed(ctx.Client, ctx.Args, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10);
        SetGlobals(evalVm!, ctx, numkeys);
        var declared = script.Flags ?? FunctionFlags.None;
        Run(ctx, evalVm!, sha, script.FunctionRef, numkeys, readOnly || (declared & FunctionFlags.NoWrites) != 0,
            function: false, allowOom: (declared & FunctionFlags.AllowOom) != 0);
    }

    /// <summary>
    /// Runs a script (its KEYS and ARGV set) or a function (called with the keys and the arguments) in its state;
    /// the reply or the error goes to the client.
    /// </summary>
    private void Run(CommandContext ctx, Vm vm, string name, int functionRef, int numkeys, bool readOnly, bool function, bool allowOom)
    {
        var l = vm.State;
        session.AllowOom = allowOom;
        session.DbIndex = ctx.Client.DbIndex;
        session.IsReplay = ctx.Client.IsReplay;
        session.IsMasterLink = ctx.Client.IsMasterLink;
        caller = ctx.Client;
        CallerCommand = (ctx.Command, ctx.Args);
        SetResp(false);
        BeginRun(name, readOnly, function ? ctx.Args : null);
        try
        {
            Arm(vm);
            lua_rawgeti(l, RegistryIndex, vm.HandlerRef);              // 1: the message handler
            lua_rawgeti(l, RegistryIndex, functionRef);                // 2: the script or function
            if (function) PushKeysAndArgs(l, ctx, numkeys);
            int status = PCall(l, function ? 2 : 0, 1, 1);
            if (killRequested) vm.HookArmed = false;
            if (status == Ok) LuaReply.Write(l, 2, ctx.Reply, scriptResp3: session.Resp3);
            else ctx.Error(ErrorText(l, 2, name, status, function));
        }
        finally
        {
            lua_settop(l, 0);
            session.AllowOom = false;
            EndRun();
        }
    }

    /// <summary>
    /// Why a script or function with these flags may not run now, as Redis judges it before the run: one that may
    /// write is a write (READONLY, MISCONF, refused by the _RO commands); one that may write without allow-oom is
    /// refused over maxmemory.
    /// </summary>
    private string? FlagRefusal(CommandContext ctx, FunctionFlags flags, bool readOnlyCommand)
    {
        if ((flags & FunctionFlags.NoWrites) != 0) return null;
        if ((flags & FunctionFlags.AllowOom) == 0 && server.OverMaxMemory) return "OOM command not allowed when used memory > 'maxmemory'.";
        if (server.Propagation.RefuseWrite(ctx) is { } refusal) return refusal;
        if (readOnlyCommand) return "ERR Can not execute a script with write flag using *_ro command.";
        return null;
    }

    /// <summary>The hook stays on between runs (no Lua runs then); a kill leaves it on every instruction, so re-arm.</summary>
    private static void Arm(Vm vm)
    {
        if (vm.HookArmed) return;
        var l = vm.State;
        lua_rawgeti(l, RegistryIndex, vm.ArmRef);
        PCall(l, 0, 0, 0);
        vm.HookArmed = true;
    }

    /// <summary>KEYS and ARGV, fresh tables for each run.</summary>
    private static void SetGlobals(Vm vm, CommandContext ctx, int numkeys)
    {
        var l = vm.State;
        int globals = lua_gettop(l) + 1;
        lua_rawgeti(l, RegistryIndex, vm.GlobalsRef);
        PushKeysAndArgs(l, ctx, numkeys);
        PushString(l, "KEYS");
        lua_pushvalue(l, globals + 1);
        lua_rawset(l, globals);
        PushString(l, "ARGV");
        lua_pushvalue(l, globals + 2);
        lua_rawset(l, globals);
        lua_settop(l, globals - 1);
    }

    /// <summary>Two tables: the keys and the arguments after them (EVAL/FCALL name numkeys key... arg...).</summary>
    private static void PushKeysAndArgs(IntPtr l, CommandContext ctx, int numkeys)
    {
        lua_createtable(l, numkeys, 0);
        for (int i = 0; i < numkeys; i++)
        {
            PushBytes(l, ctx.Arg(3 + i));
            lua_rawseti(l, -2, i + 1);
        }
        int argc = ctx.ArgCount - 3 - numkeys;
        lua_createtable(l, argc, 0);
        for (int i = 0; i < argc; i++)
        {
            PushBytes(l, ctx.Arg(3 + numkeys + i));
            lua_rawseti(l, -2, i + 1);
        }
    }

    /// <summary>The reply to a failed script: the error with "script: sha, on source:line." as Redis 7 words it.</summary>
    private static string ErrorText(IntPtr l, int idx, string sha, int status, bool function)
    {
        if (status == ErrMem) return "ERR Error running script: not enough memory script: " + sha;
        if (lua_type(l, idx) != TTable)
            return $"ERR Error running script (call to {(function ? sha : "f_" + sha)}): @{(function ? "user_function" : "user_script")}: " + (ToText(l, idx) ?? "error in error handling");
        string err = FieldText(l, idx, "err") ?? "ERR unknown error";
        string? source = FieldText(l, idx, "source");
        string? line = FieldText(l, idx, "line");
        return source != null && line != null ? $"{err} script: {sha}, on {source}:{line}." : $"{err} script: {sha}";
    }

    private static string? FieldText(IntPtr l, int idx, string name)
    {
        PushString(l, name);
        lua_rawget(l, idx);
        string? s = lua_type(l, -1) is TString or TNumber ? ToText(l, -1) : null;
        lua_settop(l, -2);
        return s;
    }

    /// <summary>The message handler of a run: turns what was raised into {err=, source=, line=}.</summary>
    [UnmanagedCallersOnly]
    private static int NativeMessageHandler(IntPtr l)
    {
        try
        {
            string err;
            int type = lua_type(l, 1);
            if (type == TTable)
            {
                PushString(l, "err");
                lua_rawget(l, 1);
                err = lua_type(l, -1) == TString ? ToText(l, -1)! : "ERR unknown error";
                lua_settop(l, 1);
            }
            else if (type is TString or TNumber) err = "ERR " + ToText(l, 1);
            else err = "ERR " + (type == TNil ? "nil" : type == TBoolean ? (lua_toboolean(l, 1) != 0 ? "true" : "false") : "(error object is not a string)");
            lua_createtable(l, 0, 3);
            PushString(l, "err");
            PushString(l, err);
            lua_rawset(l, -3);
            for (int level = 1; level < 256 && Frame(l, level, out string what, out string source, out int line); level++)
            {
                if (what == "C" || source.StartsWith("=codis", StringComparison.Ordinal)) continue;
                PushString(l, "source");
                PushString(l, source);
                lua_rawset(l, -3);
                PushString(l, "line");
                lua_pushinteger(l, line);
                lua_rawset(l, -3);
                break;
            }
            return 1;
        }
        catch (Exception e)
        {
            Log.Error("script error handler failed", ("error", e.Message));
            lua_pushnil(l);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static int NativeSha1Hex(IntPtr l)
    {
        var bytes = ToSpan(l, 1, out _);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(bytes, hash);
        Span<byte> hex = stackalloc byte[40];
        for (int i = 0; i < 20; i++)
        {
            hex[2 * i] = (byte)"0123456789abcdef"[hash[i] >> 4];
            hex[2 * i + 1] = (byte)"0123456789abcdef"[hash[i] & 15];
        }
        PushBytes(l, hex);
        return 1;
    }

    [UnmanagedCallersOnly]
    private static int NativeLog(IntPtr l)
    {
        try
        {
            var engine = From(l);
            long level = ToInteger(l, 1);
            string message = ToText(l, 2) ?? "";
            var logLevel = level switch { 0 or 1 => LogLevel.Debug, 2 => LogLevel.Info, _ => LogLevel.Warning };
            Log.Write(logLevel, message, [("script", engine.runningSha)]);
        }
        catch (Exception e)
        {
            Log.Error("redis.log failed", ("error", e.Message));
        }
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int NativeSetRepl(IntPtr l)
    {
        From(l).server.Propagation.HeldTargets = (int)ToInteger(l, 1);
        return 0;
    }

    /// <summary>redis.setresp(2|3): the protocol redis.call replies are read in (and how booleans are returned).</summary>
    [UnmanagedCallersOnly]
    private static int NativeSetResp(IntPtr l)
    {
        From(l).SetResp(ToInteger(l, 1) == 3);
        return 0;
    }

    /// <summary>The script client's protocol: every run starts in RESP2, as in Redis.</summary>
    private void SetResp(bool resp3)
    {
        session.Resp3 = resp3;
        replyWriter.Resp3 = resp3;
    }

    [UnmanagedCallersOnly]
    private static int NativeKnown(IntPtr l)
    {
        lua_pushboolean(l, CommandTable.Find(ToSpan(l, 1, out _)) != null ? 1 : 0);
        return 1;
    }

    /// <summary>
    /// The numkeys argument (the third word) of EVAL/EVALSHA/FCALL and their _RO forms, with Redis's errors; a word
    /// that is no integer gets <paramref name="notIntegerError"/> (EVAL and FCALL word it differently).
    /// </summary>
    internal static bool TryNumKeys(CommandContext ctx, string notIntegerError, out int numkeys)
    {
        numkeys = 0;
        if (!CommandContext.TryParseLong(ctx.Arg(2), out long n))
        {
            ctx.Error(notIntegerError);
            return false;
        }
        if (n < 0)
        {
            ctx.Error("ERR Number of keys can't be negative");
            return false;
        }
        if (n > ctx.ArgCount - 3)
        {
            ctx.Error("ERR Number of keys can't be greater than number of args");
            return false;
        }
        numkeys = (int)n;
        return true;
    }
}
