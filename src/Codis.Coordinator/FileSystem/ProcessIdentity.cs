using System.Diagnostics;
using System.Text.Json.Serialization;

namespace Codis.Coordinator.FileSystem;

/// <summary>
/// Who owns an ephemeral node: the session (one per coordinator instance), the process (pid + its start time,
/// so a reused pid is not mistaken for the owner), the host and the boot. With these, a reader on the same
/// machine knows at once whether the owner still runs; a reader on another host (a shared root) falls back to
/// the session's heartbeat file.
/// </summary>
internal sealed record OwnerRecord
{
    [JsonPropertyName("session")] public required string Session { get; init; }
    [JsonPropertyName("pid")] public required int Pid { get; init; }
    /// <summary>Process start in clock ticks since boot (/proc/PID/stat field 22), or UTC ticks off Linux.</summary>
    [JsonPropertyName("start")] public required long Start { get; init; }
    [JsonPropertyName("start_time")] public string? StartTime { get; init; }
    [JsonPropertyName("host")] public required string Host { get; init; }
    [JsonPropertyName("boot")] public string? Boot { get; init; }
    [JsonPropertyName("ttl_ms")] public long TtlMs { get; init; }
}

internal static class ProcessIdentity
{
    private static readonly Lazy<long> OwnStart = new(() => StartOf(Environment.ProcessId) ?? 0);
    private static readonly Lazy<string?> OwnBoot = new(ReadBootId);

    public static int Pid => Environment.ProcessId;
    public static long Start => OwnStart.Value;
    public static string? Boot => OwnBoot.Value;
    public static string Host => Environment.MachineName;

    public static OwnerRecord Owner(string session, TimeSpan ttl) => new()
    {
        Session = session,
        Pid = Pid,
        Start = Start,
        StartTime = Process.GetCurrentProcess().StartTime.ToUniversalTime().ToString("O"),
        Host = Host,
        Boot = Boot,
        TtlMs = (long)ttl.TotalMilliseconds,
    };

    /// <summary>True when the record names a process of this process's lifetime (not only the same pid).</summary>
    public static bool IsThisProcess(OwnerRecord o) => o.Pid == Pid && o.Start == Start && o.Host == Host && o.Boot == Boot;

    /// <summary>
    /// Whether a process on this host is still the one recorded: it exists, is not a zombie, and started when
    /// recorded. False after a reboot (different boot id).
    /// </summary>
    public static bool IsAliveHere(OwnerRecord o)
    {
        if (o.Boot != null && Boot != null && o.Boot != Boot) return false;
        var start = StartOf(o.Pid);
        return start != null && start == o.Start;
    }

    /// <summary>The start stamp of a running (non-zombie) process, or null when there is none.</summary>
    public static long? StartOf(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
            int close = stat.LastIndexOf(')');
            if (close < 0) return null;
            var fields = stat[(close + 2)..].Split(' ');
            if (fields.Length < 20) return null;
            if (fields[0] is "Z" or "X" or "x") return null; // exited, not yet reaped
            return long.TryParse(fields[19], out var ticks) ? ticks : null; // field 22 overall
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return null;
            // Second precision: the recorded value is made the same way.
            var t = p.StartTime.ToUniversalTime().Ticks;
            return t - t % TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    private static string? ReadBootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
