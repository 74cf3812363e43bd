using Codis.Coordinator;

namespace Codis.Dashboard.Topology;

/// <summary>Opens the configured coordinator backend.</summary>
internal static class CoordinatorOpener
{
    public static Task<ICoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct) => CoordinatorFactory.OpenAsync(options, ct);
}
