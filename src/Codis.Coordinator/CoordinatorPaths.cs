namespace Codis.Coordinator;

/// <summary>
/// Where a product's topology lives (reference/codis.md §3.2): every product has its own subtree, so two
/// products on one coordinator never touch each other.
/// </summary>
public sealed class CoordinatorPaths(string product)
{
    public string Product { get; } = ValidProduct(product);

    public string Root => $"/codis3/{Product}";
    public string Topom => $"{Root}/topom";
    public string SlotsDir => $"{Root}/slots";
    public string Slot(int id) => $"{SlotsDir}/slot-{id:D4}";
    public string GroupsDir => $"{Root}/group";
    public string Group(int id) => $"{GroupsDir}/group-{id:D4}";
    public string ProxiesDir => $"{Root}/proxy";
    public string Proxy(string token) => $"{ProxiesDir}/proxy-{token}";
    public string Sentinel => $"{Root}/sentinel";
    /// <summary>The migration switches an operator set (paused, interval), so a restarted dashboard keeps them. Ours only.</summary>
    public string ActionSettings => $"{Root}/action";
    public string JodisDir => $"/jodis/{Product}";
    public string Jodis(string token) => $"{JodisDir}/proxy-{token}";

    /// <summary>The original's product-name rule: ^\w[\w\.\-]*$.</summary>
    public static string ValidProduct(string product)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(product, @"^\w[\w\.\-]*$"))
            throw new ArgumentException($"invalid product name '{product}': must match ^\\w[\\w.-]*$");
        return product;
    }
}
