using System.Security.Cryptography;
using System.Text;

namespace Codis.Core.Models;

/// <summary>The xauth segments that guard admin API routes (reference/codis.md §3.2, §4.10).</summary>
public static class XAuth
{
    /// <summary>The original's dashboard xauth: XAuth(product).</summary>
    public static string Dashboard(string product) => Of(product);

    /// <summary>A proxy's admin xauth, as the original: XAuth(product, product_auth, proxy token).</summary>
    public static string Proxy(string product, string auth, string token) => Of(product, auth, token);

    /// <summary>The first 32 hex digits of SHA-256 over "Codis-XAuth-[seg1]-[seg2]...".</summary>
    public static string Of(params string[] segments)
    {
        var sb = new StringBuilder("Codis-XAuth");
        foreach (var s in segments) sb.Append("-[").Append(s).Append(']');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32].ToLowerInvariant();
    }
}
