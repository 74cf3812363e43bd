using System.Globalization;

namespace Codis.Core.Sentinel;

/// <summary>
/// How Codis names its groups in Sentinel (reference/codis.md §7.3): master name "&lt;product&gt;-&lt;gid&gt;"; any
/// monitored name with the product's prefix and an integer suffix is Codis-owned (removed on resync).
/// </summary>
public static class SentinelNames
{
    public static string Master(string product, int gid) => $"{product}-{gid.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The group id of a Codis-owned master name of <paramref name="product"/>, or null.</summary>
    public static int? GroupOf(string product, string name) =>
        name.Length > product.Length + 1 && name.StartsWith(product, StringComparison.Ordinal) && name[product.Length] == '-'
        && int.TryParse(name.AsSpan(product.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int gid) && gid > 0
            ? gid : null;
}
