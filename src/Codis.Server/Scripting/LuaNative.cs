using System.Runtime.InteropServices;
using System.Text;

namespace Codis.Server.Scripting;

/// <summary>
/// The few Lua 5.4 C API calls the script bridge makes itself, straight on the native library KeraLua ships
/// (liblua54): byte strings without copies, closures over [UnmanagedCallersOnly] functions. None of these raise a
/// Lua error in the way we call them; C# code never calls one that does (lua_error, luaL_check*), because a
/// longjmp across managed frames is undefined behaviour on .NET. Errors are raised by the Lua side of the
/// bridge (Sandbox.lua) from what the C# functions return.
/// </summary>
internal static unsafe partial class LuaNative
{
    private const string Lib = "lua54";

    public const int TNone = -1, TNil = 0, TBoolean = 1, TLightUserData = 2, TNumber = 3, TString = 4, TTable = 5,
        TFunction = 6, TUserData = 7, TThread = 8;

    public const int RegistryIndex = -1000000 - 1000; // -LUAI_MAXSTACK - 1000
    public const int Ok = 0, ErrRun = 2, ErrSyntax = 3, ErrMem = 4, ErrErr = 5;

    public static int UpvalueIndex(int i) => RegistryIndex - i;

    // [SuppressGCTransition] only on calls that never allocate in Lua (so never run a Lua GC step, which could run
    // a finalizer) and never call back: reading, raw table reads, pushing non-collectable values.

    [LibraryImport(Lib), SuppressGCTransition] public static partial int lua_gettop(IntPtr l);
    [LibraryImport(Lib)] public static partial void lua_settop(IntPtr l, int idx);
    [LibraryImport(Lib), SuppressGCTransition] public static partial int lua_type(IntPtr l, int idx);
    [LibraryImport(Lib)] public static partial IntPtr lua_tolstring(IntPtr l, int idx, out nuint len);
    [LibraryImport(Lib)] public static partial IntPtr lua_pushlstring(IntPtr l, byte* s, nuint len);
    [LibraryImport(Lib), SuppressGCTransition] public static partial void lua_pushinteger(IntPtr l, long n);
    [LibraryImport(Lib), SuppressGCTransition] public static partial void lua_pushnumber(IntPtr l, double n);
    [LibraryImport(Lib), SuppressGCTransition] public static partial void lua_pushboolean(IntPtr l, int b);
    [LibraryImport(Lib), SuppressGCTransition] public static partial void lua_pushnil(IntPtr l);
    [LibraryImport(Lib), SuppressGCTransition] public static partial void lua_pushlightuserdata(IntPtr l, IntPtr p);
    [LibraryImport(Lib), SuppressGCTransition] public static partial IntPtr lua_touserdata(IntPtr l, int idx);
    [LibraryImport(Lib), SuppressGCTransition] public static partial void lua_pushvalue(IntPtr l, int idx);
    [LibraryImport(Lib)] public static partial void lua_createtable(IntPtr l, int narr, int nrec);
    [LibraryImport(Lib)] public static partial void lua_rawseti(IntPtr l, int idx, long n);
    [LibraryImport(Lib), SuppressGCTransition] public static partial int lua_rawgeti(IntPtr l, int idx, long n);
    [LibraryImport(Lib), SuppressGCTransition] public static partial int lua_rawget(IntPtr l, int idx);
    [LibraryImport(Lib)] public static partial void lua_rawset(IntPtr l, int idx);
    [LibraryImport(Lib), SuppressGCTransition] public static partial ulong lua_rawlen(IntPtr l, int idx);
    [LibraryImport(Lib)] public static partial int lua_next(IntPtr l, int idx);
    [LibraryImport(Lib)] public static partial int lua_checkstack(IntPtr l, int n);
    [LibraryImport(Lib), SuppressGCTransition] public static partial int lua_isinteger(IntPtr l, int idx);
    [LibraryImport(Lib), SuppressGCTransition] public static partial long lua_tointegerx(IntPtr l, int idx, IntPtr isnum);
    [LibraryImport(Lib), SuppressGCTransition] public static partial double lua_tonumberx(IntPtr l, int idx, IntPtr isnum);
    [LibraryImport(Lib), SuppressGCTransition] public static partial int lua_toboolean(IntPtr l, int idx);
    [LibraryImport(Lib)] public static partial void lua_pushcclosure(IntPtr l, delegate* unmanaged<IntPtr, int> fn, int n);
    [LibraryImport(Lib)] public static partial void lua_sethook(IntPtr l, IntPtr f, int mask, int count);
    [LibraryImport(Lib)] public static partial int lua_pcallk(IntPtr l, int nargs, int nresults, int msgh, IntPtr ctx, IntPtr k);
    [LibraryImport(Lib)] public static partial int lua_getstack(IntPtr l, int level, byte* ar);
    [LibraryImport(Lib)] public static partial int lua_getinfo(IntPtr l, byte* what, byte* ar);
    [LibraryImport(Lib)] public static partial int luaL_ref(IntPtr l, int t);
    [LibraryImport(Lib)] public static partial void luaL_unref(IntPtr l, int t, int r);
    [LibraryImport(Lib)] public static partial int luaL_loadbufferx(IntPtr l, byte* buff, nuint size, byte* name, byte* mode);

    public static void PushBytes(IntPtr l, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes) lua_pushlstring(l, p, (nuint)bytes.Length);
    }

    public static void PushString(IntPtr l, string s)
    {
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        if (max <= 512)
        {
            Span<byte> buf = stackalloc byte[max];
            PushBytes(l, buf[..Encoding.UTF8.GetBytes(s, buf)]);
        }
        else PushBytes(l, Encoding.UTF8.GetBytes(s));
    }

    /// <summary>The bytes of a string (or a number, converted in place as lua_tolstring does); empty span for others.</summary>
    public static ReadOnlySpan<byte> ToSpan(IntPtr l, int idx, out bool ok)
    {
        IntPtr p = lua_tolstring(l, idx, out nuint len);
        ok = p != IntPtr.Zero;
        return ok ? new ReadOnlySpan<byte>((void*)p, (int)len) : default;
    }

    public static string? ToText(IntPtr l, int idx)
    {
        var span = ToSpan(l, idx, out bool ok);
        return ok ? Encoding.UTF8.GetString(span) : null;
    }

    public static double ToNumber(IntPtr l, int idx) => lua_tonumberx(l, idx, IntPtr.Zero);
    public static long ToInteger(IntPtr l, int idx) => lua_tointegerx(l, idx, IntPtr.Zero);

    /// <summary>lua_pcall: a protected call from C#; everything between is native or Lua, so its longjmp is safe.</summary>
    public static int PCall(IntPtr l, int nargs, int nresults, int msgh) => lua_pcallk(l, nargs, nresults, msgh, IntPtr.Zero, IntPtr.Zero);

    /// <summary>Compiles a chunk (text only: precompiled bytecode can break out of any sandbox).</summary>
    public static int Load(IntPtr l, ReadOnlySpan<byte> code, string chunkName)
    {
        var name = Encoding.UTF8.GetBytes(chunkName + "\0");
        ReadOnlySpan<byte> mode = "t\0"u8;
        fixed (byte* c = code)
        fixed (byte* n = name)
        fixed (byte* m = mode)
            return luaL_loadbufferx(l, c, (nuint)code.Length, n, m);
    }

    // lua_Debug (5.4, 64-bit): what @24, source @32, srclen @40, currentline @48; 136 bytes in all.
    private const int DebugSize = 256, WhatOffset = 24, SourceOffset = 32, SourceLenOffset = 40, CurrentLineOffset = 48;

    /// <summary>The source and current line of the function at a stack level, or false past the top.</summary>
    public static bool Frame(IntPtr l, int level, out string what, out string source, out int line)
    {
        what = source = "";
        line = -1;
        byte* ar = stackalloc byte[DebugSize];
        new Span<byte>(ar, DebugSize).Clear();
        if (lua_getstack(l, level, ar) == 0) return false;
        ReadOnlySpan<byte> opts = "Sl\0"u8;
        fixed (byte* o = opts) lua_getinfo(l, o, ar);
        IntPtr w = *(IntPtr*)(ar + WhatOffset);
        IntPtr s = *(IntPtr*)(ar + SourceOffset);
        nuint sl = *(nuint*)(ar + SourceLenOffset);
        if (w != IntPtr.Zero) what = Marshal.PtrToStringUTF8(w) ?? "";
        if (s != IntPtr.Zero) source = Encoding.UTF8.GetString(new ReadOnlySpan<byte>((void*)s, (int)sl));
        line = *(int*)(ar + CurrentLineOffset);
        return true;
    }
}
