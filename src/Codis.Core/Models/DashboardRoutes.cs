namespace Codis.Core.Models;

/// <summary>
/// The dashboard's HTTP routes (reference/codis.md §8.1 plus our reads), shared by codis-dashboard, which serves
/// them, and codis-admin / codis-config, which call them. Mutations are PUT; x = the dashboard xauth.
/// Success: 200 + indented JSON; failure: HTTP 800 + {"Cause": "..."}.
/// </summary>
public static class DashboardRoutes
{
    public const int FailureStatus = 800;

    /// <summary>Header carrying the admin token (required when the dashboard listens beyond loopback).</summary>
    public const string TokenHeader = "X-Codis-Admin-Token";

    private static string E(string s) => Uri.EscapeDataString(s);

    public const string Overview = "/topom";
    public const string Model = "/topom/model";
    /// <summary>The products in the coordinator, each with its xauth and the dashboard holding its lock (the web UI's switcher).</summary>
    public const string Products = "/api/topom/products";
    public static string XPing(string x) => $"/api/topom/xping/{x}";
    public static string Stats(string x) => $"/api/topom/stats/{x}";
    public static string Slots(string x) => $"/api/topom/slots/{x}";
    public static string Groups(string x) => $"/api/topom/groups/{x}";
    public static string Proxies(string x) => $"/api/topom/proxies/{x}";
    public static string Actions(string x) => $"/api/topom/actions/{x}";
    public static string Failovers(string x) => $"/api/topom/failover/{x}";
    /// <summary>The last 100 promotions, planned and failovers, with their offsets and timings (held_ms: how long the proxies held the group).</summary>
    public static string Promotions(string x) => $"/api/topom/promotions/{x}";
    /// <summary>ops/s of the last two minutes, one sample a second: {"interval_ms", "samples": [{"t" (unix ms), "qps", "proxies": {token: qps}}]}.</summary>
    public static string OpsHistory(string x) => $"/api/topom/ops-history/{x}";
    public static string ServerInfo(string addr) => $"/api/topom/group/info/{E(addr)}";

    public static string Shutdown(string x) => $"/api/topom/shutdown/{x}";
    public static string Reload(string x) => $"/api/topom/reload/{x}";

    public static string ProxyCreate(string x, string addr) => $"/api/topom/proxy/create/{x}/{E(addr)}";
    public static string ProxyRegister(string x, string addr) => $"/api/topom/proxy/register/{x}/{E(addr)}";
    public static string ProxyOnline(string x, string addr) => $"/api/topom/proxy/online/{x}/{E(addr)}";
    public static string ProxyOnlineById(string x, string id) => $"/api/topom/proxy/online-id/{x}/{E(id)}";
    public static string ProxyOfflineById(string x, string id) => $"/api/topom/proxy/offline-id/{x}/{E(id)}";
    public static string ProxyReinit(string x, string token) => $"/api/topom/proxy/reinit/{x}/{E(token)}";
    public static string ProxyRemove(string x, string token, bool force) => $"/api/topom/proxy/remove/{x}/{E(token)}/{(force ? 1 : 0)}";

    public static string GroupCreate(string x, int gid) => $"/api/topom/group/create/{x}/{gid}";
    public static string GroupRemove(string x, int gid) => $"/api/topom/group/remove/{x}/{gid}";
    public static string GroupWeight(string x, int gid, int weight) => $"/api/topom/group/weight/{x}/{gid}/{weight}";
    public static string GroupResync(string x, int gid) => $"/api/topom/group/resync/{x}/{gid}";
    public static string GroupResyncAll(string x) => $"/api/topom/group/resync-all/{x}";
    /// <summary>role: "master", "slave" (replica) or "" (master if the group is empty, else replica).</summary>
    public static string GroupAdd(string x, int gid, string addr, string role) => $"/api/topom/group/add/{x}/{gid}/{E(addr)}?role={E(role)}";
    public static string GroupDel(string x, int gid, string addr) => $"/api/topom/group/del/{x}/{gid}/{E(addr)}";
    /// <summary>The original's promote: refused (nothing changes) when the replica does not catch up with the master in time.</summary>
    public static string GroupPromote(string x, int gid, string addr) => $"/api/topom/group/promote/{x}/{gid}/{E(addr)}";
    /// <summary>force: switch even when the replica has not caught up (what it lacks is lost). Answers the promotion's record.</summary>
    public static string GroupPromote(string x, int gid, string addr, bool force) => $"/api/topom/group/promote/{x}/{gid}/{E(addr)}/{(force ? 1 : 0)}";
    public static string GroupReplicaGroups(string x, int gid, string addr, bool on) => $"/api/topom/group/replica-groups/{x}/{gid}/{E(addr)}/{(on ? 1 : 0)}";
    public static string GroupReplicaGroupsAll(string x, bool on) => $"/api/topom/group/replica-groups-all/{x}/{(on ? 1 : 0)}";
    public static string SyncActionCreate(string x, string addr) => $"/api/topom/group/action/create/{x}/{E(addr)}";
    public static string SyncActionRemove(string x, string addr) => $"/api/topom/group/action/remove/{x}/{E(addr)}";
    public static string LogLevel(string x, string level) => $"/api/topom/loglevel/{x}/{E(level)}";

    /// <summary>Redis Sentinel (reference/codis.md §7.3): add checks it with SENTINEL FLUSHCONFIG; the list is then out of sync until resync-all.</summary>
    public static string SentinelAdd(string x, string addr) => $"/api/topom/sentinels/add/{x}/{E(addr)}";
    /// <summary>force: drop it from the list also when it can't be reached to forget the groups.</summary>
    public static string SentinelDel(string x, string addr, bool force) => $"/api/topom/sentinels/del/{x}/{E(addr)}/{(force ? 1 : 0)}";
    /// <summary>Every sentinel monitors every group ("&lt;product&gt;-&lt;gid&gt;") with the sentinel_* settings; every proxy gets the list.</summary>
    public static string SentinelResyncAll(string x) => $"/api/topom/sentinels/resync-all/{x}";
    public static string SentinelInfo(string addr) => $"/api/topom/sentinels/info/{E(addr)}";
    public static string SentinelMonitored(string addr) => $"/api/topom/sentinels/info/{E(addr)}/monitored";

    public static string SlotsInit(string x, bool force) => $"/api/topom/slots/init/{x}/{(force ? 1 : 0)}";
    /// <summary>Assign an inclusive range of offline slots to a group (gid 0: set them offline) — the seed's range-set.</summary>
    public static string SlotsAssignRange(string x, int beg, int end, int gid) => $"/api/topom/slots/assign-range/{x}/{beg}/{end}/{gid}";
    public static string SlotsAssign(string x) => $"/api/topom/slots/assign/{x}";
    public static string ActionCreate(string x, int sid, int gid) => $"/api/topom/slots/action/create/{x}/{sid}/{gid}";
    public static string ActionCreateRange(string x, int beg, int end, int gid) => $"/api/topom/slots/action/create-range/{x}/{beg}/{end}/{gid}";
    public static string ActionCreateSome(string x, int src, int dst, int num) => $"/api/topom/slots/action/create-some/{x}/{src}/{dst}/{num}";
    public static string ActionRemove(string x, int sid) => $"/api/topom/slots/action/remove/{x}/{sid}";
    public static string ActionInterval(string x, int micros) => $"/api/topom/slots/action/interval/{x}/{micros}";
    public static string ActionDisabled(string x, bool disabled) => $"/api/topom/slots/action/disabled/{x}/{(disabled ? 1 : 0)}";
    public static string Rebalance(string x, bool confirm) => $"/api/topom/slots/rebalance/{x}/{(confirm ? 1 : 0)}";
}
