using Codis.Coordinator;
using Codis.Core.Models;

namespace Codis.Admin;

/// <summary>Removes a product's dashboard lock straight from the coordinator (no dashboard needed) and says whose it was.</summary>
internal static class LockRemover
{
    public static async Task<string> RemoveAsync(CoordinatorOptions options, string product, Func<CoordinatorOptions, CancellationToken, Task<ICoordinator>> open)
    {
        CoordinatorPaths paths;
        try { paths = new CoordinatorPaths(product); }
        catch (ArgumentException e) { throw new AdminException(e.Message); }
        ICoordinator c;
        try { c = await open(options, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is CoordinatorException or NotSupportedException or ArgumentException or IOException)
        {
            throw new AdminException($"can't open the {options.Name} coordinator at {options.Address}: {e.Message}");
        }
        await using (c.ConfigureAwait(false))
        {
            try
            {
                var node = await c.ReadAsync(paths.Topom).ConfigureAwait(false);
                if (node == null) return $"no dashboard lock for product '{product}' in {c.Kind} {c.Address}: nothing to remove";
                string who;
                try { who = ModelJson.Decode<TopomModel>(node.Data.Span).Describe(); }
                catch (System.Text.Json.JsonException) { who = "unreadable: " + node.Text; }
                await c.DeleteAsync(paths.Topom).ConfigureAwait(false);
                return $"removed the dashboard lock {paths.Topom} of product '{product}', held by: {who}";
            }
            catch (CoordinatorException e) { throw new AdminException($"coordinator {c.Kind} {c.Address}: {e.Message}"); }
        }
    }
}
