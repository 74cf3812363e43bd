using System.Runtime.InteropServices;

namespace Codis.Fault.Tests.Fuzz;

/// <summary>What the kernel says about a process: resident memory, open descriptors; and this process's fd limit.</summary>
public static class ProcessStats
{
    /// <summary>VmRSS of /proc/&lt;pid&gt;/status in MiB (0 when the process is gone).</summary>
    public static double RssMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0]) / 1024.0;
        }
        catch (IOException) { }
        return 0;
    }

    public static int OpenFds(int pid)
    {
        try { return Directory.GetFiles($"/proc/{pid}/fd").Length; }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    private const int RlimitNofile = 7;

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out RLimit rlim);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit rlim);

    /// <summary>
    /// Raises this process's soft RLIMIT_NOFILE towards <paramref name="wanted"/> (up to the hard limit; as root,
    /// the hard limit too). Children started afterwards inherit it. Returns the soft limit now in force.
    /// </summary>
    public static ulong RaiseFdLimit(ulong wanted)
    {
        if (getrlimit(RlimitNofile, out var lim) != 0) return 0;
        if (lim.Cur >= wanted) return lim.Cur;
        var next = lim with { Cur = Math.Min(wanted, lim.Max) };
        if (wanted > lim.Max)
        {
            var asRoot = new RLimit { Cur = wanted, Max = wanted };
            if (setrlimit(RlimitNofile, ref asRoot) == 0) return wanted;
        }
        return setrlimit(RlimitNofile, ref next) == 0 ? next.Cur : lim.Cur;
    }
}
