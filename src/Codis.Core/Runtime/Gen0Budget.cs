using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Codis.Core.Runtime;

/// <summary>
/// Caps the GC's gen0 budget. The runtime sizes gen0 from the CPU's last-level cache (on a 260 MB L3 that is ~90 MB
/// of young objects between collections), and a gen0 collection that finds much of that alive — a big collection
/// being loaded, restored or migrated in — pauses every client for 100+ ms. A small budget means more, shorter
/// pauses (measured: a 168 ms worst pause became 17–29 ms at 2 MB; bench/RESULTS.md). The runtime reads the budget
/// only from the environment (DOTNET_GCgen0size; runtimeconfig.json is ignored for it), so a process that must
/// apply it re-executes itself once, in place (same pid, same arguments), with the variable set.
/// </summary>
public static class Gen0Budget
{
    private const string Variable = "DOTNET_GCgen0size";

    /// <summary>
    /// Makes sure the running process has <paramref name="bytes"/> as its gen0 budget (0 = the runtime's own), by
    /// exec'ing itself when it does not. Returns only if nothing had to change or the exec failed (the reason is
    /// in <paramref name="error"/>; the process then keeps running with the runtime's budget).
    /// </summary>
    public static void Apply(long bytes, out string? error)
    {
        error = null;
        if (bytes <= 0 || !OperatingSystem.IsLinux()) return;
        string wanted = bytes.ToString("x", CultureInfo.InvariantCulture);
        string? current = Environment.GetEnvironmentVariable(Variable);
        // Set by the operator (or by our own exec): theirs wins, and a second exec would loop.
        if (!string.IsNullOrEmpty(current)) return;
        try
        {
            var argv = ReadCommandLine();
            if (argv.Count == 0)
            {
                error = "can't read /proc/self/cmdline";
                return;
            }
            Environment.SetEnvironmentVariable(Variable, wanted);
            var env = Environment.GetEnvironmentVariables();
            var envp = new List<string>(env.Count);
            foreach (System.Collections.DictionaryEntry e in env) envp.Add($"{e.Key}={e.Value}");
            Exec("/proc/self/exe", argv, envp);
            error = $"execve failed: errno {Marshal.GetLastPInvokeError()}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
        }
        Environment.SetEnvironmentVariable(Variable, null);
    }

    /// <summary>The gen0 budget in effect (from the environment), for INFO and logs; 0 = the runtime's own.</summary>
    public static long Current =>
        long.TryParse(Environment.GetEnvironmentVariable(Variable)?.Replace("0x", "", StringComparison.OrdinalIgnoreCase),
            NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long v) ? v : 0;

    private static List<string> ReadCommandLine()
    {
        var raw = File.ReadAllBytes("/proc/self/cmdline");
        var args = new List<string>();
        int start = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != 0) continue;
            args.Add(Encoding.UTF8.GetString(raw, start, i - start));
            start = i + 1;
        }
        return args;
    }

    private static unsafe void Exec(string path, List<string> argv, List<string> envp)
    {
        var strings = new List<nint>();
        var a = (nint*)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(nint));
        var e = (nint*)NativeMemory.AllocZeroed((nuint)(envp.Count + 1), (nuint)sizeof(nint));
        try
        {
            for (int i = 0; i < argv.Count; i++) strings.Add(a[i] = Marshal.StringToCoTaskMemUTF8(argv[i]));
            for (int i = 0; i < envp.Count; i++) strings.Add(e[i] = Marshal.StringToCoTaskMemUTF8(envp[i]));
            execve(path, a, e);
        }
        finally
        {
            foreach (var h in strings) Marshal.FreeCoTaskMem(h);
            NativeMemory.Free(a);
            NativeMemory.Free(e);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int execve([MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint* argv, nint* envp);
}
