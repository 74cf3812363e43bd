using System.Net.Sockets;
using System.Text;

namespace Codis.Testing;

/// <summary>
/// One member of a ZooKeeper ensemble (QuorumPeerMain) on given addresses, for tests that run each member on its
/// own host (e.g. a network namespace): writes zoo.cfg and myid into <paramref name="dir"/> and gives the command
/// line; the caller starts it where it belongs. Ports: 2181 clients, 2888 followers, 3888 elections.
/// </summary>
public sealed class ZooKeeperEnsembleMember(string dir, int myId, IReadOnlyList<string> memberIps, int tickMs = 500)
{
    public const int ClientPort = 2181;
    private const string Jars = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

    public string Ip => memberIps[myId - 1];
    public string Address => $"{Ip}:{ClientPort}";

    /// <summary>The program and arguments that run this member (after writing its configuration).</summary>
    public (string Program, string[] Args) Prepare()
    {
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "myid"), myId.ToString());
        var cfg = new StringBuilder()
            .AppendLine($"tickTime={tickMs}")
            .AppendLine("initLimit=20")
            .AppendLine("syncLimit=4")
            .AppendLine($"dataDir={data}")
            .AppendLine($"clientPort={ClientPort}")
            .AppendLine($"clientPortAddress={Ip}")
            .AppendLine("maxClientCnxns=0")
            .AppendLine("admin.enableServer=false")
            .AppendLine("4lw.commands.whitelist=ruok,srvr,stat,mntr");
        for (int i = 0; i < memberIps.Count; i++) cfg.AppendLine($"server.{i + 1}={memberIps[i]}:2888:3888");
        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), cfg.ToString());
        return ("java", ["-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", $"-Dzookeeper.log.dir={dir}",
            "-cp", Jars, "org.apache.zookeeper.server.quorum.QuorumPeerMain", Path.Combine(dir, "zoo.cfg")]);
    }

    /// <summary>"leader" or "follower" once the member serves in a quorum; null when it does not answer or has none.</summary>
    public static string? Mode(string ip)
    {
        try
        {
            using var c = new TcpClient();
            if (!c.ConnectAsync(ip, ClientPort).Wait(2000)) return null;
            c.ReceiveTimeout = 2000;
            var s = c.GetStream();
            s.Write("srvr"u8);
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var text = Encoding.ASCII.GetString(ms.ToArray());
            int at = text.IndexOf("Mode: ", StringComparison.Ordinal);
            return at < 0 ? null : text[(at + 6)..].Split('\n')[0].Trim();
        }
        catch (Exception e) when (e is SocketException or IOException or AggregateException) { return null; }
    }
}
