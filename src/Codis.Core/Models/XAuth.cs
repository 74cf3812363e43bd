using System.Security.Cryptography;
using System.Text;

namespace Codis.Core.Models;

/// <summary>The xauth segments that guard admin API routes (reference/codis.md §3.2, §4.10).</summary>
public static class XAuth
{
    /// <summary>The original's dashboard xauth: the first 32 hex digits of SHA-256("Codis-XAuth-[product]").</summary>
    public static string Dashboard(string product) => Digest("Codis-XAuth-[" + product + "]");

    /// <summary>codis-proxy's xauth as our proxy computes it (product name and product_auth).</summary>
    public static string Proxy(string product, string auth) => Digest(product + "\0" + auth);

    private static string Digest(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32].ToLowerInvariant();
}
