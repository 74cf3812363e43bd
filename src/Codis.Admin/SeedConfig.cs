using Codis.Coordinator;
using Codis.Core.Config;

namespace Codis.Admin;

/// <summary>
/// The seed's config.ini as codis-config reads it (reference/codis.md §1.2): where the coordinator and the
/// dashboard are, the product, the servers' password. Unknown keys are kept for codis-dashboard / codis-proxy.
/// </summary>
internal sealed record SeedConfig
{
    public string Coordinator { get; init; } = "zookeeper";
    public string CoordinatorAddr { get; init; } = "localhost:2181";
    public string Product { get; init; } = "test";
    public string DashboardAddr { get; init; } = "127.0.0.1:18087";
    public string DashboardToken { get; init; } = "";
    public string Password { get; init; } = "";
    public string ProxyId { get; init; } = "";
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string Path { get; init; } = "";

    public static SeedConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new AdminException($"config file '{path}' not found (codis-config reads config.ini from the current folder, or the file given with -c)");
        Dictionary<string, string> ini;
        try { ini = IniFile.Read(path); }
        catch (FormatException e) { throw new AdminException(e.Message); }
        var c = new SeedConfig { Path = System.IO.Path.GetFullPath(path) };
        string Get(string key, string def) => ini.TryGetValue(key, out var v) && v.Length > 0 ? v : def;
        var timeout = c.SessionTimeout;
        if (ini.TryGetValue("zk_session_timeout", out var t) && t.Length > 0)
        {
            if (!long.TryParse(t, out long n) || n <= 0) throw new AdminException($"{path}: zk_session_timeout must be a positive number, got '{t}'");
            timeout = n <= 100 ? TimeSpan.FromSeconds(n) : TimeSpan.FromMilliseconds(n); // the original's unit rule
        }
        return c with
        {
            Coordinator = CoordinatorName(Get("coordinator", c.Coordinator), path),
            CoordinatorAddr = Get("zk", c.CoordinatorAddr),
            Product = Get("product", c.Product),
            DashboardAddr = Get("dashboard_addr", c.DashboardAddr),
            DashboardToken = Get("dashboard_token", ""),
            Password = Get("password", ""),
            ProxyId = Get("proxy_id", ""),
            SessionTimeout = timeout,
        };
    }

    private static string CoordinatorName(string name, string path) => name.ToLowerInvariant() switch
    {
        "zookeeper" or "zk" => "zookeeper",
        "etcd" => "etcd",
        "filesystem" or "fs" => "filesystem",
        _ => throw new AdminException($"{path}: coordinator must be zookeeper, etcd or filesystem, got '{name}'"),
    };

    public CoordinatorOptions CoordinatorOptions => new() { Name = Coordinator, Address = CoordinatorAddr, SessionTimeout = SessionTimeout };
}
