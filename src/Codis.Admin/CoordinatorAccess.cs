using Codis.Coordinator;

namespace Codis.Admin;

/// <summary>Opens the configured coordinator backend.</summary>
internal static class CoordinatorAccess
{
    public static Task<ICoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct) => CoordinatorFactory.OpenAsync(options, ct);
}
