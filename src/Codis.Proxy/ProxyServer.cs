using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Core.Networking.EventLoop;
using Codis.Core.Resp;
using Codis.Proxy.Backends;
using Codis.Proxy.Routing;
using Codis.Proxy.Sessions;
using Codis.Proxy.Stats;

namespace Codis.Proxy;

/// <summary>
/// The codis-proxy process: the client listener, the sessions, the router and the proxy's lifecycle
/// (clients are served only once the proxy is online: started by the dashboard or by --fillslots).
/// </summary>
internal sealed class ProxyServer : IDisposable
{
    public const string RedisVersion = "7.0.15";

    private readonly ConcurrentDictionary<long, ProxySession> sessions = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? listener;

    public ProxyServer(Settings settings)
    {
        Settings = settings;
        Loops = StartEventLoops(settings["proxy_event_loops"].AsInt);
        var options = new BackendOptions
        {
            Auth = settings["product_auth"].Value,
            DialTimeout = settings["backend_dial_timeout"].AsDuration,
            PrimaryParallel = settings["backend_primary_parallel"].AsInt,
            ReplicaParallel = settings["backend_replica_parallel"].AsInt,
            Databases = settings["backend_number_databases"].AsInt,
            PingPeriod = settings["backend_ping_period"].AsDuration,
            RecvTimeout = settings["backend_recv_timeout"].AsDuration,
            SendTimeout = settings["backend_send_timeout"].AsDuration,
            MaxPipeline = settings["backend_max_pipeline"].AsInt,
            KeepAlivePeriod = settings["backend_keepalive_period"].AsDuration,
            RecvBufferSize = (int)Math.Min(int.MaxValue, settings["backend_recv_bufsize"].AsLong),
            SendBufferSize = (int)Math.Min(int.MaxValue, settings["backend_send_bufsize"].AsLong),
            Loops = Loops,
            ReplicaAck = settings["backend_replica_ack"].AsInt,
            ReplicaAckTimeout = settings["backend_replica_ack_timeout"].AsDuration,
        };
        Router = new Router(options, settings["backend_primary_only"].AsBool);
        BackendOptions = options;
        ReplicaOffsets = new ReplicaOffsets(Router, settings["backend_replica_offset_period"].AsDuration);
        ScanEpochs = new SlotEpochs(Router);
        Router.Filled += () =>
        {
            foreach (var s in subscribers.Keys) s.OnRoutingChanged();
        };
        Limits = new RespLimits { MaxBulkLength = settings["proto-max-bulk-len"].AsLong };
        ProductName = settings["product_name"].Value;
        Sentinels = new Routing.SentinelFollower(Router, ProductName, settings["product_auth"].Value);
        MaxPipeline = settings["session_max_pipeline"].AsInt;
        BreakOnFailure = settings["session_break_on_failure"].AsBool;
        StartTime = DateTimeOffset.UtcNow;
    }

    public Settings Settings { get; }

    /// <summary>The epoll loops serving clients and backends (empty: .NET's socket engine does).</summary>
    public EventLoop[] Loops { get; }
    private int nextLoop;

    private static EventLoop[] StartEventLoops(int n)
    {
        if (n <= 0) return [];
        if (!Epoll.Supported)
        {
            Log.Warn("proxy_event_loops needs Linux on x64 or arm64: using .NET's socket engine");
            return [];
        }
        var loops = new EventLoop[n];
        for (int i = 0; i < n; i++) loops[i] = new EventLoop(i, name: "proxy-loop");
        return loops;
    }
    public BackendOptions BackendOptions { get; }
    public ReplicaOffsets ReplicaOffsets { get; }
    public SlotEpochs ScanEpochs { get; }
    public Router Router { get; }
    /// <summary>The sentinels the dashboard gave this proxy, and the watcher that follows their masters.</summary>
    public Routing.SentinelFollower Sentinels { get; }
    public RespLimits Limits { get; }
    public ProxyStats Stats { get; } = new();
    public string Token { get; private set; } = "";
    public string XAuth { get; private set; } = "";
    public string ProductName { get; }
    public string ProxyId { get; private set; } = "";
    public DateTimeOffset StartTime { get; }
    public string SessionAuth => Settings["session_auth"].Value;
    public int Databases => Settings["backend_number_databases"].AsInt;
    public int MaxPipeline { get; }
    public bool BreakOnFailure { get; }
    public bool Online { get; private set; }
    public bool Closed { get; private set; }
    public int Port { get; private set; }
    public string ProxyAddr { get; private set; } = "";
    public string AdminAddr { get; private set; } = "";
    /// <summary>The metrics_report_* pushers, once started.</summary>
    public Metrics.MetricsReporters? Metrics { get; set; }
    /// <summary>The jodis node this proxy registered, once it has.</summary>
    public string? JodisPath { get; set; }
    public IEnumerable<ProxySession> Sessions => sessions.Values;
    public int SessionCount => sessions.Count;
    public Task Stopped => stopped.Task;

    /// <summary>
    /// Called once both listeners are bound: fixes the advertised admin address, the token and the admin API's
    /// xauth = XAuth(product, product_auth, token) as the original computes them.
    /// </summary>
    public void Announce(string adminBound)
    {
        AdminAddr = Lifecycle.ProxyIdentity.Advertise(adminBound, Settings["host_admin"].Value);
        Token = Lifecycle.ProxyIdentity.Token(ProductName, ProxyAddr, AdminAddr);
        XAuth = Lifecycle.ProxyIdentity.XAuth(ProductName, Settings["product_auth"].Value, Token);
        ProxyId = Settings["proxy_id"].Value is { Length: > 0 } id ? id : "proxy-" + Token[..8];
    }

    public void Start()
    {
        string proto = Settings["proto_type"].Value;
        if (proto == "unix")
        {
            string path = Path.GetFullPath(Settings["proxy_addr"].Value);
            listener = BindUnix(path);
            // Ours from now: removed on shutdown (not before: a path we could not bind is someone else's).
            UnixPath = path;
            // The path is the address (the original's model shows it so); a unix proxy has no port.
            ProxyAddr = path;
        }
        else
        {
            var ep = ParseEndPoint(Settings["proxy_addr"].Value, proto == "tcp6");
            listener = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // Plain SO_REUSEADDR (restart over TIME_WAIT). .NET's ReuseAddress also sets SO_REUSEPORT on Linux,
            // which would let a second proxy bind the same port silently.
            if (OperatingSystem.IsLinux()) listener.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
            // tcp6: IPv6 only, as Go's "tcp6" listener.
            if (ep.AddressFamily == AddressFamily.InterNetworkV6) listener.DualMode = false;
            listener.Bind(ep);
            Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            string host = ep.Address.Equals(IPAddress.Any) ? "0.0.0.0"
                : ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]" : ep.Address.ToString();
            ProxyAddr = Lifecycle.ProxyIdentity.Advertise($"{host}:{Port}", Settings["host_proxy"].Value);
        }
        listener.Listen(512);
        _ = AcceptLoopAsync(listener);
        _ = CronAsync();
        Log.Info("proxy listening", ("proxy_addr", ProxyAddr), ("proto_type", proto), ("product", ProductName), ("online", Online));
    }

    /// <summary>The unix socket's path (proto_type = unix), removed on shutdown.</summary>
    public string? UnixPath { get; private set; }

    /// <summary>
    /// A unix stream socket at <paramref name="path"/>. A socket file left by a proxy that died is replaced (as
    /// redis-server does); one that still accepts connections means another proxy serves it: an error.
    /// </summary>
    private static Socket BindUnix(string path)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            // .NET shows no file type: a socket is an entry of size 0 (a file with content is never removed).
            if ((File.GetAttributes(path) & FileAttributes.Directory) != 0 || new FileInfo(path).Length != 0)
                throw new IOException($"proxy_addr '{path}' exists and is not a unix socket");
            using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                try
                {
                    probe.Connect(new UnixDomainSocketEndPoint(path));
                    throw new IOException($"proxy_addr '{path}' is in use by another process");
                }
                catch (SocketException) { }
            }
            File.Delete(path);
        }
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { s.Bind(new UnixDomainSocketEndPoint(path)); }
        catch
        {
            s.Dispose();
            throw;
        }
        return s;
    }

    /// <summary>host:port (IPv6 as [addr]:port); <paramref name="ipv6"/> (tcp6): an IPv6 address, else IPv4.</summary>
    public static IPEndPoint ParseEndPoint(string addr, bool ipv6 = false)
    {
        int colon = addr.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(addr.AsSpan(colon + 1), out int port))
            throw new FormatException($"bad address '{addr}' (want host:port)");
        string host = addr[..colon].Trim('[', ']');
        var family = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var ip = host is "" or "0.0.0.0" or "*" or "::" ? (ipv6 ? IPAddress.IPv6Any : IPAddress.Any)
            : host == "localhost" ? (ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback)
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == family)
              ?? throw new FormatException($"bad address '{addr}': '{host}' has no {(ipv6 ? "IPv6" : "IPv4")} address");
        if (ip.AddressFamily != family) throw new FormatException($"bad address '{addr}' for proto_type {(ipv6 ? "tcp6 (want an IPv6 address)" : "tcp4/tcp (want an IPv4 address)")}");
        return new IPEndPoint(ip, port);
    }

    private async Task AcceptLoopAsync(Socket l)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket s;
            try { s = await l.AcceptAsync(stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                Log.Warn("accept failed", ("error", e.Message));
                continue;
            }
            Interlocked.Increment(ref Stats.SessionsTotal);
            string? refuse = !Online ? "-ERR router is not online\r\n"
                : sessions.Count >= Settings["proxy_max_clients"].AsInt ? "-ERR max number of clients reached\r\n" : null;
            if (refuse != null)
            {
                try
                {
                    s.Send(Encoding.ASCII.GetBytes(refuse));
                    s.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException) { }
                s.Dispose();
                continue;
            }
            var loop = Loops.Length == 0 ? null : Loops[(int)((uint)Interlocked.Increment(ref nextLoop) % (uint)Loops.Length)];
            ProxySession session;
            try { session = new ProxySession(this, s, loop); }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                Log.Warn("can't serve an accepted client", ("error", e.Message));
                s.Dispose();
                continue;
            }
            sessions[session.Id] = session;
            // On its loop, the session's first read waits there; with .NET's engine it starts on the pool.
            if (loop != null) loop.Post(() => _ = session.RunAsync());
            else _ = Task.Run(session.RunAsync);
        }
    }

    internal void Unregister(ProxySession s) => sessions.TryRemove(s.Id, out _);

    private readonly ConcurrentDictionary<ProxySession, byte> subscribers = new();

    /// <summary>Sessions that use pub/sub: told when the routing changes.</summary>
    internal void TrackSubscriber(ProxySession s) => subscribers[s] = 0;
    internal void UntrackSubscriber(ProxySession s) => subscribers.TryRemove(s, out _);

    /// <summary>Goes online: clients are served from now on.</summary>
    public void SetOnline()
    {
        if (Closed) throw new InvalidOperationException("proxy is closed");
        if (Online) return;
        Online = true;
        Log.Info("proxy is online", ("proxy_addr", ProxyAddr));
        WentOnline?.Invoke();
    }

    private async Task CronAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            Stats.Sample();
            Router.KeepAlive();
            var idle = Settings["session_recv_timeout"].AsDuration;
            var send = Settings["session_send_timeout"].AsDuration;
            long now = Environment.TickCount64;
            foreach (var s in sessions.Values)
            {
                // As Redis's timeout: blocked clients and subscribers that only receive are not idle.
                if (idle > TimeSpan.Zero && !s.IsBlocked && !s.IsSubscribed && now - s.LastActiveTicks > idle.TotalMilliseconds)
                {
                    Log.Info("closing idle client", ("client", s.Remote), ("idle_s", (now - s.LastActiveTicks) / 1000));
                    s.Kill();
                }
                else if (send > TimeSpan.Zero && s.FlushingSinceTicks is > 0 and var since && now - since > send.TotalMilliseconds)
                {
                    Log.Info("closing client that takes no replies", ("client", s.Remote), ("blocked_s", (now - since) / 1000));
                    s.Kill();
                }
            }
        }
    }

    /// <summary>
    /// The proxy's own INFO, in Redis's layout so clients' probes parse it (server, clients, persistence, stats,
    /// replication as one master) plus a proxy section; sections as Redis 7 selects them (several allowed).
    /// </summary>
    public string Info(IReadOnlyList<string> requested)
    {
        var wanted = requested.Select(x => x.ToLowerInvariant()).ToHashSet();
        bool all = wanted.Count == 0 || wanted.Overlaps(["all", "everything", "default"]);
        var sb = new StringBuilder();
        void Section(string name, Action body)
        {
            if (!all && !wanted.Contains(name)) return;
            // As Redis: commandstats only when asked for, or with "all"/"everything".
            if (name == "commandstats" && !wanted.Overlaps(["commandstats", "all", "everything"])) return;
            if (sb.Length > 0) sb.Append("\r\n");
            sb.Append("# ").Append(char.ToUpperInvariant(name[0])).Append(name[1..]).Append("\r\n");
            body();
        }
        void F(string k, object v) => sb.Append(k).Append(':').Append(v).Append("\r\n");
        long uptime = (long)(DateTimeOffset.UtcNow - StartTime).TotalSeconds;
        Section("server", () =>
        {
            F("redis_version", RedisVersion);
            F("redis_mode", "standalone");
            F("codis_component", "codis-proxy");
            F("os", Environment.OSVersion.VersionString);
            F("arch_bits", 64);
            F("process_id", Environment.ProcessId);
            F("run_id", Token);
            F("tcp_port", Port);
            F("uptime_in_seconds", uptime);
            F("uptime_in_days", uptime / 86400);
        });
        Section("clients", () =>
        {
            F("connected_clients", sessions.Count);
            F("maxclients", Settings["proxy_max_clients"].AsInt);
            F("blocked_clients", 0);
            F("pubsub_clients", subscribers.Keys.Count(s => s.IsSubscribed));
        });
        Section("persistence", () =>
        {
            // The proxy holds no data: it is never loading (ioredis' ready check reads this).
            F("loading", 0);
        });
        Section("stats", () =>
        {
            F("total_connections_received", Stats.SessionsTotal);
            F("total_commands_processed", Stats.Total);
            F("instantaneous_ops_per_sec", Stats.Qps);
            F("total_errors", Stats.Fails + Stats.RedisErrors);
        });
        Section("replication", () =>
        {
            F("role", "master");
            F("connected_slaves", 0);
        });
        Section("proxy", () =>
        {
            F("product_name", ProductName);
            F("proxy_id", ProxyId);
            F("proxy_token", Token);
            F("proxy_addr", ProxyAddr);
            F("admin_addr", AdminAddr);
            F("online", Online ? 1 : 0);
            F("ops_total", Stats.Total);
            F("ops_fails", Stats.Fails);
            F("ops_redis_errors", Stats.RedisErrors);
            F("ops_qps", Stats.Qps);
            F("sessions_alive", sessions.Count);
            F("sessions_total", Stats.SessionsTotal);
            F("backend_connections_up", Router.ConnectedBackends);
            F("event_loops", Loops.Length);
        });
        Section("commandstats", () =>
        {
            foreach (var (name, c) in Stats.Commands)
                F("cmdstat_" + name.ToLowerInvariant(),
                  $"calls={c.Calls},usec={c.Usecs},usec_per_call={(c.Calls == 0 ? 0 : (double)c.Usecs / c.Calls):F2},rejected_calls=0,failed_calls={c.Fails + c.RedisErrors}");
        });
        return sb.ToString();
    }

    /// <summary>What CONFIG GET answers: the parameters a client may probe, with the proxy's values.</summary>
    public IReadOnlyList<(string Key, string Value)> ConfigValues() =>
    [
        ("databases", Databases.ToString()),
        ("maxclients", Settings["proxy_max_clients"].Value),
        ("timeout", ((long)Settings["session_recv_timeout"].AsDuration.TotalSeconds).ToString()),
        ("proto-max-bulk-len", Settings["proto-max-bulk-len"].Value),
        ("replica-read-only", "yes"),
        ("slave-read-only", "yes"),
        ("cluster-enabled", "no"),
    ];

    public void Shutdown(string reason)
    {
        if (stopping.IsCancellationRequested) return;
        Log.Info("proxy shutting down", ("reason", reason));
        Closed = true;
        Online = false;
        stopping.Cancel();
        listener?.Dispose();
        if (UnixPath != null)
        {
            try { File.Delete(UnixPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        foreach (var s in sessions.Values) s.Kill();
        ShuttingDown?.Invoke();
        stopped.TrySetResult();
    }

    public event Action? ShuttingDown;
    public event Action? WentOnline;

    public void Dispose()
    {
        Shutdown("dispose");
        ReplicaOffsets.Dispose();
        Sentinels.Dispose();
        Router.Dispose();
    }
}
