using Codis.Coordinator;

namespace Codis.Proxy.Lifecycle;

/// <summary>Opens the coordinators the proxy uses: the jodis one (client discovery) and the one the dashboard is found in.</summary>
internal static class Coordinators
{
    public static Func<CancellationToken, Task<ICoordinator>> Opener(string name, string address, string auth, TimeSpan timeout) =>
        ct => Open(new CoordinatorOptions { Name = name, Address = address, Auth = auth, SessionTimeout = timeout }, ct);

    private static Task<ICoordinator> Open(CoordinatorOptions options, CancellationToken ct) => CoordinatorFactory.OpenAsync(options, ct);
}
