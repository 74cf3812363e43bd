using System.Runtime.InteropServices;
using Codis.Testing;

namespace Codis.Fault.Tests.MultiHost;

/// <summary>
/// Three "machines" on this one: network namespaces a, b, c, each with its own address (10.77.S.1-3/24) on a veth
/// pair whose other end is plugged into a bridge in the root namespace (10.77.S.254, where the test and the
/// dashboard run). Names and the subnet are unique per run, so parallel runs do not collide; everything is
/// removed on Dispose. <see cref="Cut"/> downs a host's link (its processes keep running, cut off from all);
/// <see cref="Heal"/> brings it back. Needs root and iproute2.
/// </summary>
public sealed class ThreeHosts : IDisposable
{
    public static readonly string[] Names = ["a", "b", "c"];
    private readonly string id = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..6].ToLowerInvariant();
    private readonly List<string> created = [];

    public int Subnet { get; }
    public string Bridge => $"cbr{id}";
    public string Namespace(int host) => $"codis-{id}-{Names[host]}";
    public string Ip(int host) => $"10.77.{Subnet}.{host + 1}";
    public string RootIp => $"10.77.{Subnet}.254";
    private string HostEnd(int host) => $"cv{id}{Names[host]}";
    private string NsEnd(int host) => $"cp{id}{Names[host]}";

    /// <summary>Why this machine cannot make the namespaces (null: it can).</summary>
    public static string? Unavailable()
    {
        if (Environment.UserName != "root" && geteuid() != 0) return "not root: network namespaces need CAP_NET_ADMIN";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) return "iproute2 (ip) is not installed";
        return null;
    }

    [DllImport("libc")]
    private static extern uint geteuid();

    public ThreeHosts()
    {
        var routes = Ip_("route", "show").Stdout;
        var rng = new Random();
        do Subnet = rng.Next(10, 250); while (routes.Contains($"10.77.{Subnet}."));
        try
        {
            Ip_("link", "add", Bridge, "type", "bridge");
            created.Add("link:" + Bridge);
            Ip_("addr", "add", RootIp + "/24", "dev", Bridge);
            Ip_("link", "set", Bridge, "up");
            for (int h = 0; h < 3; h++)
            {
                Ip_("netns", "add", Namespace(h));
                created.Add("netns:" + Namespace(h));
                Ip_("link", "add", HostEnd(h), "type", "veth", "peer", "name", NsEnd(h));
                created.Add("link:" + HostEnd(h));
                Ip_("link", "set", HostEnd(h), "master", Bridge);
                Ip_("link", "set", HostEnd(h), "up");
                Ip_("link", "set", NsEnd(h), "netns", Namespace(h));
                InNs(h, "ip", "addr", "add", Ip(h) + "/24", "dev", NsEnd(h));
                InNs(h, "ip", "link", "set", NsEnd(h), "up");
                InNs(h, "ip", "link", "set", "lo", "up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Downs host <paramref name="host"/>'s link: it can reach no one and no one can reach it.</summary>
    public void Cut(int host) => Ip_("link", "set", HostEnd(host), "down");

    public void Heal(int host) => Ip_("link", "set", HostEnd(host), "up");

    /// <summary>A process started inside host <paramref name="host"/>'s namespace (ip netns exec execs it: same pid).</summary>
    public ManagedProcess Start(int host, string program, IEnumerable<string> args, string? dir = null) =>
        new("ip", ["netns", "exec", Namespace(host), program, .. args], dir);

    private CliResult InNs(int host, params string[] args) => Run("ip", ["netns", "exec", Namespace(host), .. args]);

    private static CliResult Ip_(params string[] args) => Run("ip", args);

    private static CliResult Run(string program, string[] args)
    {
        var r = CliRunner.Exec(program, "/", TimeSpan.FromSeconds(20), args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {r}");
        return r;
    }

    /// <summary>Runs <paramref name="body"/> on a new thread moved into host <paramref name="host"/>'s namespace: sockets it opens live there (a client "on" that host).</summary>
    public Thread StartThreadOn(int host, Action body)
    {
        string path = $"/var/run/netns/{Namespace(host)}";
        var t = new Thread(() =>
        {
            using (var f = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
                if (setns((int)f.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    SetnsError = $"setns {path}: errno {Marshal.GetLastPInvokeError()}";
                    return;
                }
            body();
        }) { IsBackground = true, Name = $"client on {Names[host]}" };
        t.Start();
        return t;
    }

    private const int CloneNewNet = 0x40000000;

    /// <summary>Set when a thread could not be moved into a namespace.</summary>
    public string? SetnsError { get; private set; }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    public void Dispose()
    {
        for (int i = created.Count - 1; i >= 0; i--)
        {
            var (kind, name) = (created[i][..created[i].IndexOf(':')], created[i][(created[i].IndexOf(':') + 1)..]);
            try { CliRunner.Exec("ip", "/", TimeSpan.FromSeconds(20), kind == "netns" ? ["netns", "delete", name] : ["link", "delete", name]); }
            catch (TimeoutException) { }
        }
        created.Clear();
    }
}
