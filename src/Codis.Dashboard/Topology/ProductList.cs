using System.Text.Json;
using Codis.Coordinator;
using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>One product found in the coordinator, with the dashboard that holds its lock (if any).</summary>
internal sealed record ProductEntry(string Name, string XAuth, string? DashboardAddr, int? Pid, bool Current);

/// <summary>
/// The products under /codis3 in the coordinator (as codis-fe lists them), each with the admin address its
/// running dashboard wrote into the lock, so the web UI can switch to another product's dashboard.
/// </summary>
internal static class ProductList
{
    public static async Task<(IReadOnlyList<ProductEntry> Products, string? Error)> ReadAsync(Topom topom, CancellationToken ct)
    {
        var coordinator = topom.Store.Coordinator;
        var current = new ProductEntry(topom.Product, topom.XAuth, topom.Model.AdminAddr, topom.Model.Pid, true);
        IReadOnlyList<string> names;
        try { names = await coordinator.ListAsync("/codis3", ct).ConfigureAwait(false); }
        catch (CoordinatorException e) { return ([current], "can't list the products in the coordinator: " + e.Message); }
        var list = new List<ProductEntry>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (name == topom.Product) { list.Add(current); continue; }
            try { CoordinatorPaths.ValidProduct(name); }
            catch (ArgumentException) { continue; } // not a product folder
            TopomModel? holder = null;
            try
            {
                var node = await coordinator.ReadAsync(new CoordinatorPaths(name).Topom, ct).ConfigureAwait(false);
                if (node != null) holder = ModelJson.Decode<TopomModel>(node.Data.Span);
            }
            catch (Exception e) when (e is CoordinatorException or JsonException) { }
            list.Add(new ProductEntry(name, Core.Models.XAuth.Dashboard(name), holder?.AdminAddr, holder?.Pid, false));
        }
        if (!list.Contains(current)) list.Insert(0, current);
        return (list, null);
    }
}
