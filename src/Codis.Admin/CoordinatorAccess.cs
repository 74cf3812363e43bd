using Codis.Coordinator;

namespace Codis.Admin;

/// <summary>Opens the configured coordinator backend.</summary>
internal static class CoordinatorAccess
{
    public static Task<ICoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct) =>
        throw new NotSupportedException($"coordinator '{options.Name}' is not available in this build (the backends are not merged yet)");
}
