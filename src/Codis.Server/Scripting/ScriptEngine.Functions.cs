using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Commands;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>A function's flags, as redis.register_function takes them (and FUNCTION LIST shows them, in this order).</summary>
[Flags]
internal enum FunctionFlags
{
    None = 0,
    NoWrites = 1,
    AllowOom = 2,
    AllowStale = 4,
    NoCluster = 8,
    AllowCrossSlotKeys = 16,
}

/// <summary>A registered function: its callback is a reference in the functions' Lua state.</summary>
internal sealed record LuaFunction(string Name, int CallbackRef, FunctionFlags Flags, string? Description);

/// <summary>
/// The Lua side of functions: their own Lua state (Redis keeps functions apart from EVAL: SCRIPT FLUSH leaves
/// them), where a library's code runs at load with only redis.register_function and redis.log, and where FCALL
/// calls a registered callback with the keys and the arguments. The library bookkeeping is FunctionLibraries.
/// </summary>
internal sealed partial class ScriptEngine
{
    private Vm? functionVm;

    /// <summary>INFO used_memory_vm_functions: the functions' Lua state (0 before the first library).</summary>
    public long FunctionsMemory => functionVm?.Memory ?? 0;

    /// <summary>
    /// Runs a library's code (the whole text, its shebang line included so that line numbers match) in the load
    /// sandbox; returns the functions it registered, or the error reply. On error nothing stays registered.
    /// </summary>
    public string? LoadLibrary(ReadOnlySpan<byte> code, out List<LuaFunction> functions)
    {
        functions = [];
        var vm = functionVm ??= CreateVm();
        var l = vm.State;
        Arm(vm);
        lua_rawgeti(l, RegistryIndex, vm.LibraryRef);
        PushBytes(l, TailCalls.Untail(WithoutShebang(code)));
        loadDeadline = Stopwatch.GetTimestamp() + LoadTimeoutMs * Stopwatch.Frequency / 1000;
        int status;
        try
        {
            status = PCall(l, 1, 3, 0);
        }
        finally
        {
            loadDeadline = 0;
            vm.HookArmed = false; // a timeout left the hook on every instruction
        }
        try
        {
            if (status != Ok) return "ERR Error registering functions: " + (ToText(l, -1) ?? "unknown error");
            if (lua_type(l, 1) != TTable)
            {
                string message = ToText(l, 2) ?? "unknown error";
                return lua_toboolean(l, 3) != 0 ? "ERR Error compiling function: " + message : "ERR Error registering functions: " + message;
            }
            int count = (int)lua_rawlen(l, 1);
            for (int i = 1; i <= count; i++)
            {
                lua_rawgeti(l, 1, i);
                int entry = lua_gettop(l);
                string name = FieldText(l, entry, "name")!;
                string? description = FieldText(l, entry, "description");
                PushString(l, "flags");
                lua_rawget(l, entry);
                var flags = (FunctionFlags)ToInteger(l, -1);
                lua_settop(l, entry);
                PushString(l, "callback");
                lua_rawget(l, entry);
                int callback = luaL_ref(l, RegistryIndex);
                lua_settop(l, entry - 1);
                functions.Add(new LuaFunction(name, callback, flags, description));
            }
            return null;
        }
        finally
        {
            lua_settop(l, 0);
        }
    }

    /// <summary>Drops the callbacks of functions that are deleted, replaced or were never committed.</summary>
    public void ReleaseFunctions(IEnumerable<LuaFunction> functions)
    {
        if (functionVm == null) return;
        foreach (var f in functions) luaL_unref(functionVm.State, RegistryIndex, f.CallbackRef);
    }

    /// <summary>FCALL / FCALL_RO once the function is found and numkeys checked: the flag checks, then the call.</summary>
    public void CallFunction(CommandContext ctx, LuaFunction function, int numkeys, bool readOnlyCommand)
    {
        if (FlagRefusal(ctx, function.Flags, readOnlyCommand) is { } refusal)
        {
            ctx.Error(refusal);
            return;
        }
        if (server.Monitors.Active) server.Monitors.Feed(ctx.Client, ctx.Args, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10);
        Run(ctx, functionVm!, function.Name, function.CallbackRef, numkeys, readOnly: (function.Flags & FunctionFlags.NoWrites) != 0,
            function: true, allowOom: (function.Flags & FunctionFlags.AllowOom) != 0);
    }

    /// <summary>FUNCTION STATS: the function running (name, its FCALL, how long) and the engine's counts.</summary>
    public void WriteFunctionStats(RespWriter reply)
    {
        reply.WriteMapHeader(2);
        reply.WriteBulk("running_script");
        if (runningFunction is { } call)
        {
            reply.WriteMapHeader(3);
            reply.WriteBulk("name");
            reply.WriteBulk(runningSha);
            reply.WriteBulk("command");
            reply.WriteArrayHeader(call.Count);
            for (int i = 0; i < call.Count; i++) reply.WriteBulk(call[i]);
            reply.WriteBulk("duration_ms");
            reply.WriteInteger((long)Stopwatch.GetElapsedTime(Volatile.Read(ref runStart)).TotalMilliseconds);
        }
        else
        {
            reply.WriteNullBulk();
        }
        reply.WriteBulk("engines");
        reply.WriteMapHeader(1);
        reply.WriteBulk("LUA");
        reply.WriteMapHeader(2);
        reply.WriteBulk("libraries_count");
        reply.WriteInteger(server.Functions.LibraryCount);
        reply.WriteBulk("functions_count");
        reply.WriteInteger(server.Functions.FunctionCount);
    }
}
