using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Codis.Proxy.Lifecycle;

/// <summary>
/// How the proxy names itself to the dashboard, as the original does (reference/codis.md §1.3, §3.2): the
/// advertised addresses, the token (stable across restarts on the same host and ports) and the admin xauth.
/// </summary>
internal static class ProxyIdentity
{
    /// <summary>XAuth(seg...) = first 32 hex digits of SHA-256 over "Codis-XAuth-[seg1]-[seg2]...".</summary>
    public static string XAuth(params string[] segments)
    {
        var sb = new StringBuilder("Codis-XAuth");
        foreach (var s in segments) sb.Append("-[").Append(s).Append(']');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32].ToLowerInvariant();
    }

    /// <summary>Lower-case hex MD5 of "Codis-Token@[sorted MACs]-{product}-{proxy addr}-{admin addr}".</summary>
    public static string Token(string product, string proxyAddr, string adminAddr)
    {
        var macs = new List<string>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                var mac = nic.GetPhysicalAddress().GetAddressBytes();
                if (mac.Length == 0 || mac.All(b => b == 0)) continue;
                macs.Add(string.Join(":", mac.Select(b => b.ToString("x2"))));
            }
        }
        catch (NetworkInformationException) { }
        macs.Sort(StringComparer.Ordinal);
        string text = $"Codis-Token@[{string.Join(" ", macs)}]-{{{product}}}-{{{proxyAddr}}}-{{{adminAddr}}}";
        return Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
    }

    /// <summary>
    /// The address others should use: an explicit override wins; a wildcard host (0.0.0.0, empty, *) becomes
    /// this machine's host name when it resolves, else its first non-loopback IPv4 address.
    /// </summary>
    public static string Advertise(string bound, string? overrideAddr)
    {
        if (!string.IsNullOrEmpty(overrideAddr)) return overrideAddr;
        int colon = bound.LastIndexOf(':');
        string host = colon > 0 ? bound[..colon] : "";
        string port = bound[(colon + 1)..];
        if (host is not ("" or "0.0.0.0" or "*" or "[::]" or "::")) return bound;
        return $"{LocalHost()}:{port}";
    }

    private static string LocalHost()
    {
        string name = Dns.GetHostName();
        try
        {
            if (Dns.GetHostAddresses(name).Any(a => a.AddressFamily == AddressFamily.InterNetwork)) return name;
        }
        catch (SocketException) { }
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
                if (a.Address.AddressFamily == AddressFamily.InterNetwork) return a.Address.ToString();
        }
        return "127.0.0.1";
    }
}
