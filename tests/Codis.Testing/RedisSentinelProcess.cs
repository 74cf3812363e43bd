using Codis.Core.Resp;

namespace Codis.Testing;

/// <summary>
/// Debian's real redis-sentinel 7.0 on a free loopback port, with its own config file in a temp folder (sentinel
/// rewrites it). Optionally monitors one master from the start; else masters are added by SENTINEL MONITOR.
/// </summary>
public sealed class RedisSentinelProcess : ManagedProcess
{
    public int Port { get; }
    public string Dir { get; }
    public string Addr => $"127.0.0.1:{Port}";

    private RedisSentinelProcess(int port, string dir, string conf) : base("redis-sentinel", [conf], dir)
    {
        Port = port;
        Dir = dir;
    }

    public static bool Available => File.Exists("/usr/bin/redis-sentinel");

    /// <param name="monitor">(name, master address, quorum) to monitor from the start, with down-after <paramref name="downAfterMs"/></param>
    public static RedisSentinelProcess Start((string Name, string Master, int Quorum)? monitor = null, int downAfterMs = 1000, int failoverTimeoutMs = 10000)
    {
        string dir = Directory.CreateTempSubdirectory("redis-sentinel-").FullName;
        int port = FreePort();
        string conf = Path.Combine(dir, "sentinel.conf");
        var lines = new List<string> { $"port {port}", "bind 127.0.0.1", "daemonize no", $"dir {dir}", "loglevel verbose" };
        if (monitor is { } m)
        {
            var (host, p) = (m.Master[..m.Master.LastIndexOf(':')], m.Master[(m.Master.LastIndexOf(':') + 1)..]);
            lines.Add($"sentinel monitor {m.Name} {host} {p} {m.Quorum}");
            lines.Add($"sentinel down-after-milliseconds {m.Name} {downAfterMs}");
            lines.Add($"sentinel failover-timeout {m.Name} {failoverTimeoutMs}");
            lines.Add($"sentinel parallel-syncs {m.Name} 1");
        }
        File.WriteAllLines(conf, lines);
        var s = new RedisSentinelProcess(port, dir, conf);
        try
        {
            WaitForPort(port, TimeSpan.FromSeconds(10));
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    public RespClient Client(int timeoutMs = 5000) => new("127.0.0.1", Port, TimeSpan.FromMilliseconds(timeoutMs));

    /// <summary>SENTINEL GET-MASTER-ADDR-BY-NAME as "ip:port", or null when the name is unknown.</summary>
    public string? MasterAddr(string name)
    {
        using var c = Client();
        var r = c.Call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name);
        return r.Items is { Length: 2 } a ? $"{a[0].Text}:{a[1].Text}" : null;
    }
}
