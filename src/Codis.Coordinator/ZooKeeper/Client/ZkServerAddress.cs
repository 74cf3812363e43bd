using System.Globalization;

namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>One entry of the comma-separated server list ("host:port", "[v6]:port"; the port defaults to 2181).</summary>
public readonly record struct ZkServerAddress(string Host, int Port)
{
    public const int DefaultPort = 2181;

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static IReadOnlyList<ZkServerAddress> ParseList(string servers)
    {
        var list = new List<ZkServerAddress>();
        foreach (var raw in servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(Parse(raw));
        if (list.Count == 0) throw new ArgumentException($"no ZooKeeper server in '{servers}'");
        return list;
    }

    public static ZkServerAddress Parse(string entry)
    {
        if (entry.Contains('/')) throw new ArgumentException($"ZooKeeper address '{entry}': a chroot suffix is not supported");
        string host = entry;
        string? port = null;
        if (entry.StartsWith('['))
        {
            int close = entry.IndexOf(']');
            if (close < 0) throw new ArgumentException($"ZooKeeper address '{entry}': missing ']'");
            host = entry[1..close];
            if (close + 1 < entry.Length)
            {
                if (entry[close + 1] != ':') throw new ArgumentException($"ZooKeeper address '{entry}': expected ':' after ']'");
                port = entry[(close + 2)..];
            }
        }
        else
        {
            int colon = entry.LastIndexOf(':');
            if (colon >= 0)
            {
                host = entry[..colon];
                port = entry[(colon + 1)..];
            }
        }
        if (host.Length == 0) throw new ArgumentException($"ZooKeeper address '{entry}': empty host");
        int p = DefaultPort;
        if (port != null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p is < 1 or > 65535))
            throw new ArgumentException($"ZooKeeper address '{entry}': bad port '{port}'");
        return new ZkServerAddress(host, p);
    }
}
