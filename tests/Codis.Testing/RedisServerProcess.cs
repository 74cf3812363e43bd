using Codis.Core.Resp;

namespace Codis.Testing;

/// <summary>Debian's real redis-server 7.0 on a free port: the oracle and the interoperability peer.</summary>
public sealed class RedisServerProcess : ManagedProcess
{
    public int Port { get; }
    public string DataDir { get; }

    /// <summary>
    /// Redis collates SORT ... ALPHA with strcoll under the environment's locale: the C locale makes it byte order,
    /// whatever the machine's LANG, as codis-server sorts.
    /// </summary>
    private static readonly Dictionary<string, string> Env = new() { ["LC_ALL"] = "C" };

    private RedisServerProcess(int port, string dir, IEnumerable<string> args) : base("redis-server", args, dir, Env)
    {
        Port = port;
        DataDir = dir;
    }

    public static bool Available => File.Exists("/usr/bin/redis-server");

    public static RedisServerProcess Start(params string[] extraArgs)
    {
        string dir = Directory.CreateTempSubdirectory("redis-peer-").FullName;
        int port = FreePort();
        var p = new RedisServerProcess(port, dir,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, .. extraArgs]);
        WaitForPort(port, TimeSpan.FromSeconds(10));
        return p;
    }

    public RespClient Client(int timeoutMs = 10000) => new("127.0.0.1", Port, TimeSpan.FromMilliseconds(timeoutMs));
}
