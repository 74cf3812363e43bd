using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Codis.Proxy.Metrics;

/// <summary>
/// metrics_report_statsd_*: every period, one gauge per figure, <c>&lt;prefix&gt;.&lt;product&gt;.&lt;admin_addr&gt;.&lt;proxy_addr&gt;.&lt;field&gt;:&lt;value&gt;|g</c>,
/// '.' and ':' in the addresses replaced by '_' (as the original). An empty prefix is left out (the original would
/// start the name with a dot). The gauges are batched, one per line, in UDP datagrams of at most
/// <see cref="MaxDatagram"/> bytes (as the original's statsd client batches); a connected socket, so a target
/// that is down (ICMP port unreachable) shows up as failed pushes.
/// </summary>
internal sealed class StatsdReporter : MetricsReporter
{
    /// <summary>Fits an Internet path's MTU (1500 − IP/UDP headers, with room for tunnels): no IP fragmentation.</summary>
    public const int MaxDatagram = 1432;
    private readonly ProxyServer proxy;
    private readonly string prefix;
    private readonly IPEndPoint server;
    private Socket? socket;

    public StatsdReporter(ProxyServer proxy, IPEndPoint server, string prefix, TimeSpan period) : base("statsd", server.ToString(), period)
    {
        this.proxy = proxy;
        this.prefix = prefix;
        this.server = server;
    }

    /// <summary>The name's segments before the field: prefix (when set), product, admin and proxy addresses.</summary>
    public static string Bucket(string prefix, string product, string adminAddr, string proxyAddr)
    {
        var sb = new StringBuilder();
        if (prefix.Length > 0) sb.Append(Clean(prefix, addr: false)).Append('.');
        sb.Append(Clean(product, addr: false)).Append('.')
          .Append(Clean(adminAddr, addr: true)).Append('.')
          .Append(Clean(proxyAddr, addr: true)).Append('.');
        return sb.ToString();
    }

    /// <summary>Addresses: '.' and ':' → '_'. Every segment: the characters of the wire format (':', '|', '@', line breaks) → '_'.</summary>
    private static string Clean(string s, bool addr)
    {
        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] is ':' or '|' or '@' or '\n' or '\r' || (addr && chars[i] == '.')) chars[i] = '_';
        return new string(chars);
    }

    /// <summary>The gauges as datagrams: lines joined by '\n', each datagram at most <paramref name="max"/> bytes.</summary>
    public static List<byte[]> Datagrams(string bucket, IEnumerable<MetricField> fields, int max = MaxDatagram)
    {
        var packets = new List<byte[]>();
        var cur = new StringBuilder();
        foreach (var f in fields)
        {
            string line = bucket + f.Name + ":" + f.Text + "|g";
            if (cur.Length > 0 && Encoding.UTF8.GetByteCount(cur.ToString()) + 1 + Encoding.UTF8.GetByteCount(line) > max)
            {
                packets.Add(Encoding.UTF8.GetBytes(cur.ToString()));
                cur.Clear();
            }
            if (cur.Length > 0) cur.Append('\n');
            cur.Append(line);
        }
        if (cur.Length > 0) packets.Add(Encoding.UTF8.GetBytes(cur.ToString()));
        return packets;
    }

    protected override async Task PushAsync(CancellationToken ct)
    {
        string bucket = Bucket(prefix, proxy.ProductName, proxy.AdminAddr, proxy.ProxyAddr);
        try
        {
            if (socket == null)
            {
                // Connected (made at the first push, and again after a failure: no route at start is one failed push).
                socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                socket.Connect(server);
            }
            foreach (var d in Datagrams(bucket, MetricFields.Collect(proxy)))
                await socket.SendAsync(d, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch
        {
            socket?.Dispose();
            socket = null;
            throw;
        }
    }

    protected override ValueTask DisposeCoreAsync()
    {
        socket?.Dispose();
        return ValueTask.CompletedTask;
    }
}
