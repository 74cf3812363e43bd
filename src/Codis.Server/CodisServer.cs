using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Acl;
using Codis.Server.Commands;
using Codis.Server.Introspection;
using Codis.Server.Networking;
using Codis.Server.PubSub;
using Codis.Server.Storage;

namespace Codis.Server;

/// <summary>
/// The codis-server process: listeners, clients, the keyspace and the cron. Commands execute one at a time
/// under <see cref="Storage.Keyspace.Lock"/>, which is what makes each of them atomic.
/// </summary>
internal sealed partial class CodisServer
{
    private readonly ConcurrentDictionary<long, ClientConnection> clients = new();
    private readonly List<Socket> listeners = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CodisServer(Settings settings)
    {
        Settings = settings;
        Keyspace = new Keyspace(settings["databases"].AsInt);
        RunId = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        Limits = BuildLimits();
        Storage.Collections.CollectionLimits.Attach(settings);
        Blocking = new Networking.Blocking.BlockingRegistry(this);
        PubSub = new PubSubHub(settings);
        KeyspaceEvents.Attach(settings["notify-keyspace-events"], Keyspace, PubSub);
        Stats.PubSubChannels = () => PubSub.ChannelCount;
        Stats.PubSubPatterns = () => PubSub.PatternCount;
        Stats.PubSubShardChannels = () => PubSub.ShardChannelCount;
        Acl = new Acl.AclRegistry(settings);
        Scripts = new Scripting.ScriptEngine(this);
        Functions = new Scripting.FunctionLibraries(Scripts);
        foreach (var name in new[] { "proto-max-bulk-len", "proto-max-multibulk-len", "proto-inline-max-size" })
            settings[name].Changed = _ => Limits = BuildLimits();
        // Read on every command: cached as numbers, refreshed by CONFIG SET.
        settings["slowlog-log-slower-than"].Changed = s => slowlogThreshold = s.AsLong;
        settings["slowlog-max-len"].Changed = s => slowlogMaxLen = s.AsInt;
        settings["tracking-table-max-keys"].Changed = s =>
        {
            if (Keyspace.Tracking is { } t) t.MaxKeys = s.AsLong;
        };
        settings["maxmemory"].Changed = s => maxMemory = s.AsLong;
        settings["latency-monitor-threshold"].Changed = s => Latency.SetThreshold(s.AsLong);
        settings["latency-tracking"].Changed = s => latencyTracking = s.AsBool;
        Latency.SetThreshold(settings["latency-monitor-threshold"].AsLong);
        latencyTracking = settings["latency-tracking"].AsBool;
        slowlogThreshold = settings["slowlog-log-slower-than"].AsLong;
        slowlogMaxLen = settings["slowlog-max-len"].AsInt;
        maxMemory = settings["maxmemory"].AsLong;
        Evictor = new Storage.Eviction.Evictor(Keyspace);
        WatchEvictionSettings(settings);
        settings["loglevel"].Changed = s => Log.MinLevel = LogLevelOf(s.Value);
        StandardSections.RegisterAll(this, Info);
        InitPersistence();
    }

    /// <summary>Redis's four log levels mapped onto ours (verbose has no own level: it logs like debug).</summary>
    public static LogLevel LogLevelOf(string loglevel) => loglevel switch
    {
        "debug" or "verbose" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        _ => LogLevel.Info,
    };

    private long slowlogThreshold;
    private int slowlogMaxLen;
    private long maxMemory;
    private bool latencyTracking;

    /// <summary>maxmemory is set and used memory is above it: commands flagged denyoom are refused.</summary>
    internal bool OverMaxMemory => maxMemory > 0 && Memory.Used() > maxMemory;

    /// <summary>The INFO sections; parts of the server register the ones they own (persistence, replication).</summary>
    public InfoRegistry Info { get; } = new();

    public MemoryStats Memory { get; } = new();

    /// <summary>Pub/sub channels, patterns and their subscribers.</summary>
    public PubSubHub PubSub { get; }

    /// <summary>The MONITOR connections and what they are sent.</summary>
    public MonitorFeed Monitors { get; } = new();

    /// <summary>DEBUG SET-ACTIVE-EXPIRE: off = keys expire only when accessed (tests use it).</summary>
    public bool ActiveExpireEnabled { get; set; } = true;

    public Settings Settings { get; }
    public Keyspace Keyspace { get; }

    /// <summary>Clients blocked in BLPOP and friends, served after each command that writes their keys.</summary>
    public Networking.Blocking.BlockingRegistry Blocking { get; }

    /// <summary>EVAL's Lua engine and script cache (the Lua state is created by the first script).</summary>
    public Scripting.ScriptEngine Scripts { get; }

    /// <summary>The function libraries (FUNCTION, FCALL); their Lua state is in <see cref="Scripts"/>.</summary>
    public Scripting.FunctionLibraries Functions { get; }
    public string RunId { get; }
    public RespLimits Limits { get; private set; }
    public Stats Stats { get; } = new();
    public SlowLog SlowLog { get; } = new();

    /// <summary>LATENCY's events: what took latency-monitor-threshold or longer.</summary>
    public LatencyMonitor Latency { get; } = new();
    public long StartedAt { get; } = Environment.TickCount64;
    public long StartedAtUnixMs { get; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    public int Port { get; private set; }
    public Task Stopped => stopped.Task;
    public CancellationToken StoppingToken => stopping.Token;

    /// <summary>New connections must AUTH: the default user has a password or is off (Redis's authRequired).</summary>
    public bool RequiresAuth => !Acl.Default.NoPass || !Acl.Default.Enabled;

    public IEnumerable<ClientConnection> Clients => clients.Values;

    private RespLimits BuildLimits() => new()
    {
        MaxBulkLength = Settings["proto-max-bulk-len"].AsLong,
        MaxArguments = Settings["proto-max-multibulk-len"].AsLong,
        MaxInlineLength = Settings["proto-inline-max-size"].AsInt,
    };

    private Core.Networking.EventLoop.EventLoop[]? loops;
    private int nextLoop;

    /// <summary>The epoll loops serving clients (INFO server event_loop_threads); 0 when .NET's engine does.</summary>
    public int EventLoopThreads => loops?.Length ?? 0;

    /// <summary>How accepted sockets are served: by the event loops (event-loop yes, on Linux) or by .NET's engine.</summary>
    private IClientTransport TransportFor(Socket socket)
    {
        if (loops == null) return new StreamTransport(socket);
        var loop = loops[(int)((uint)Interlocked.Increment(ref nextLoop) % (uint)loops.Length)];
        return new Networking.EventLoop.LoopClientTransport(loop, socket);
    }

    private void StartEventLoops()
    {
        if (!Settings["event-loop"].AsBool) return;
        if (!Core.Networking.EventLoop.Epoll.Supported)
        {
            Log.Warn("event-loop needs Linux on x64 or arm64: using .NET's socket engine");
            return;
        }
        int n = Settings["event-loop-threads"].AsInt;
        if (n <= 0) n = Environment.ProcessorCount;
        loops = new Core.Networking.EventLoop.EventLoop[n];
        for (int i = 0; i < n; i++) loops[i] = new Core.Networking.EventLoop.EventLoop(i, Persistence.Aof.Commit);
    }

    public void Start()
    {
        LoadUsers();
        LoadData();
        StartEventLoops();
        int port = Settings["port"].AsInt;
        foreach (var addr in Settings["bind"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var ip = addr is "*" or "0.0.0.0" ? IPAddress.Any : addr == "::" ? IPAddress.IPv6Any : IPAddress.Parse(addr.TrimStart('-'));
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // Plain SO_REUSEADDR (restart over TIME_WAIT). .NET's ReuseAddress also sets SO_REUSEPORT on Linux,
            // which would let a second server bind the same port silently and take half its connections.
            if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
            else socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(ip, port));
            socket.Listen(Settings["tcp-backlog"].AsInt);
            port = ((IPEndPoint)socket.LocalEndPoint!).Port; // --port 0 picks a free one; later binds share it
            listeners.Add(socket);
            _ = AcceptLoopAsync(socket);
        }
        Port = port;
        _ = CronLoopAsync();
        Log.Info("Ready to accept connections", ("bind", Settings["bind"].Value), ("port", Port), ("run_id", RunId));
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptAsync(stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                Log.Warn("accept failed", ("error", e.Message));
                continue;
            }
            Interlocked.Increment(ref Stats.ConnectionsReceived);
            if (clients.Count >= Settings["maxclients"].AsInt)
            {
                Interlocked.Increment(ref Stats.RejectedConnections);
                try
                {
                    socket.Send("-ERR max number of clients reached\r\n"u8);
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException) { }
                socket.Dispose();
                continue;
            }
            ApplyKeepAlive(socket);
            ClientConnection connection;
            try { connection = new ClientConnection(this, socket, TransportFor); }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                Log.Warn("can't serve an accepted connection", ("error", e.Message));
                socket.Dispose();
                continue;
            }
            clients[connection.Session.Id] = connection;
            _ = Task.Run(connection.RunAsync);
        }
    }

    /// <summary>tcp-keepalive: TCP keepalive probes after N idle seconds (0 = off), read at each accept as in Redis.</summary>
    private void ApplyKeepAlive(Socket socket)
    {
        int seconds = Settings["tcp-keepalive"].AsInt;
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, seconds > 0);
            if (seconds <= 0) return;
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, seconds / 3));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (SocketException e)
        {
            Log.Debug("can't set TCP keepalive", ("error", e.Message));
        }
    }

    internal void Unregister(ClientConnection connection)
    {
        clients.TryRemove(connection.Session.Id, out _);
        ForgetClientState(connection.Session);
    }

    /// <summary>A closing client (or RESET) leaves its transaction, watched keys and subscriptions.</summary>
    internal void ForgetClientState(ClientSession session)
    {
        if (session.Multi == null && session.Watcher == null && session.Subscriber == null && session.Tracking == null) return;
        lock (Keyspace.Lock)
        {
            Keyspace.Tracking?.Disable(session);
            Transactions.TransactionCommands.Abandon(session);
            if (session.Subscriber is { } s) PubSub.RemoveAll(s);
        }
    }

    /// <summary>
    /// Runs a batch of parsed requests of one client, in order from <paramref name="from"/>, under the keyspace lock.
    /// After each command, clients blocked on keys it wrote are served. Stops after a command that left its reply
    /// pending (<see cref="CommandContext.Deferred"/>, <see cref="CommandContext.Blocked"/>);
    /// returns the index of the first request not run yet.
    /// </summary>
    internal int Execute(CommandContext ctx, List<RespRequest> batch, int from = 0)
    {
        if (batch.Count <= from) return batch.Count;
        int next = batch.Count;
        // Taken: usually for microseconds; when a script runs past its time limit, answered -BUSY without it.
        if (!Keyspace.Lock.TryEnter() && !Scripts.WaitForLock(ctx, batch, ref from)) return batch.Count;
        try
        {
            // One timer reading per command: each command's end is the next one's start. The first also sets the
            // keyspace clock: a batch runs in microseconds, far below the millisecond precision of expiry.
            long stamp = Stopwatch.GetTimestamp();
            Keyspace.RefreshClock(stamp);
            for (int i = from; i < batch.Count; i++)
            {
                var request = batch[i];
                // Messages pushed to this client before the command go out before its reply, as in Redis.
                if (ctx.Client.Push is { HasPending: true } push) push.TakeInto(ctx.Reply);
                var spec = CommandTable.Of(request);
                if (spec != null && spec.Has(CommandFlags.NoLock))
                {
                    // It waits on something else (WAIT): other clients run meanwhile.
                    Keyspace.Lock.Exit();
                    try { ExecuteOne(ctx, request, spec, Stopwatch.GetTimestamp()); }
                    finally { Keyspace.Lock.Enter(); }
                    stamp = Stopwatch.GetTimestamp();
                    Keyspace.RefreshClock(stamp);
                }
                else
                {
                    stamp = ExecuteOne(ctx, request, spec, stamp);
                }
                Blocking.ServeReady(); // clients blocked on keys this command wrote
                if (ctx.Client.CloseAfterReply || ctx.Client.TakeOver != null) break;
                if (ctx.Deferred != null || ctx.Blocked != null)
                {
                    next = i + 1;
                    break;
                }
            }
        }
        finally
        {
            Keyspace.Lock.Exit();
        }
        // Before the replies go out: with appendfsync always, acknowledged = on disk. An event loop commits once
        // per round of events for all its clients, and holds their replies until then.
        if (!Persistence.Aof.Enabled || !Core.Networking.EventLoop.EventLoop.DeferCommit()) Persistence.Aof.Commit();
        return next;
    }

    /// <summary>Looks up, checks and runs one command; the caller holds the lock.</summary>
    internal void ExecuteOne(CommandContext ctx, RespRequest request) =>
        ExecuteOne(ctx, request, CommandTable.Find(request[0]), Stopwatch.GetTimestamp());

    /// <summary>
    /// Checks and runs one command found as <paramref name="spec"/>, timed from <paramref name="start"/> (a
    /// Stopwatch timestamp); returns the timestamp taken when it ended. Inside MULTI a checked command is queued
    /// instead (+QUEUED); a command refused here marks the transaction aborted, as Redis's flagTransaction.
    /// </summary>
    private long ExecuteOne(CommandContext ctx, RespRequest request, CommandSpec? spec, long start)
    {
        var client = ctx.Client;
        Stats.Commands++;
        if (spec == null)
        {
            Stats.UnknownCommands++;
            Reject(ctx, null, ClientConnection.DescribeUnknown(request));
            return start;
        }
        if (!spec.ArityOk(request.Count))
        {
            Reject(ctx, spec, Errors.WrongArity(spec.Name));
            return start;
        }
        // A container's subcommand is checked and counted as a command of its own ("config|get"), as in Redis 7.
        var counted = spec;
        if (spec.Subcommands.Count > 0 && request.Count >= 2)
        {
            if (spec.FindSubcommand(request[1]) is not { } sub)
            {
                Reject(ctx, null, Errors.UnknownSubcommand(request.ToUtf8String(1), spec.Name));
                return start;
            }
            if (!sub.ArityOk(request.Count))
            {
                Reject(ctx, sub, Errors.WrongArity(sub.Name));
                return start;
            }
            counted = sub;
        }
        if (!client.Authenticated && !spec.Has(CommandFlags.NoAuth) && RequiresAuth)
        {
            Reject(ctx, spec, Errors.NoAuth);
            return start;
        }
        // The one test a user allowed everything (the default user) pays.
        if (!client.User.Unrestricted && AclRefusal(client, counted, request, client.Multi != null ? AclLogContext.Multi : AclLogContext.TopLevel) is { } denial)
        {
            Reject(ctx, counted, AclErrors.NoPerm(denial, counted.Name));
            return start;
        }
        // EXEC is checked as the commands it will run: a write if one of them is (OOM, READONLY, MISCONF).
        var flags = spec.Flags;
        if (client.Multi is { } queued && spec.Handler == ExecHandler) flags |= queued.Flags & (CommandFlags.Write | CommandFlags.DenyOom);
        if (maxMemory > 0 && !client.IsReplay && OutOfMemory(client.IsScript, start) && (flags & CommandFlags.DenyOom) != 0 && !client.AllowOom)
        {
            Reject(ctx, spec, "OOM command not allowed when used memory > 'maxmemory'.");
            return start;
        }
        if ((flags & CommandFlags.Write) != 0 && Propagation.RefuseWrite(ctx) is { } refusal)
        {
            Reject(ctx, spec, refusal);
            return start;
        }
        if (client.InPubSubMode && !client.Resp3 && !PubSubHub.AllowedWhenSubscribed(spec))
        {
            Reject(ctx, spec, $"ERR Can't execute '{PubSubHub.FullName(spec, request)}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
            return start;
        }
        if (client.Multi != null && spec.Has(CommandFlags.NoMulti))
        {
            Reject(ctx, spec, "ERR Command not allowed inside a transaction");
            return start;
        }
        client.LastCommand = spec.Name;
        bool mute = client.RepliesOff || client.SkipNextReply;
        client.SkipNextReply = false;
        if (mute) ctx.Mute();
        long end = start;
        if (client.Multi is { } queue && !Transactions.Transaction.RunsImmediately(spec))
        {
            queue.Add(spec, request);
            ctx.Reply.WriteRaw("+QUEUED\r\n"u8);
        }
        else
        {
            end = Call(ctx, spec, counted, request, start);
        }
        if (mute) ctx.Unmute();
        return end;
    }

    private static readonly CommandHandler ExecHandler = Transactions.TransactionCommands.Exec;

    private long nestedErrors; // error replies written by nested calls (under the lock), so outer ones don't count them again

    /// <summary>
    /// Runs a command that passed the checks: the handler, then propagation, stats (counted as
    /// <paramref name="counted"/>: the command or its subcommand), MONITOR, the slow log and the latency monitor.
    /// The caller holds the lock. EXEC (and anything else that runs commands inside a command) goes through
    /// <see cref="CallNested"/>.
    /// </summary>
    private long Call(CommandContext ctx, CommandSpec spec, CommandSpec counted, RespRequest request, long start)
    {
        var client = ctx.Client;
        ctx.Args = request;
        ctx.Command = spec;
        ctx.Rewrite = null;
        ctx.SuppressPropagation = false;
        var reply = ctx.Reply;
        Keyspace.Touching = !client.NoTouch || spec.Name == "touch";
        long errorsBefore = reply.ErrorsWritten, nestedBefore = nestedErrors;
        Keyspace.CountLookups = spec.Has(CommandFlags.ReadOnly);
        long dirtyBefore = Keyspace.Dirty;
        var tracking = Keyspace.Tracking; // null until a client first turns CLIENT TRACKING on
        var tracked = client; // whose reads and writes these are: a script's calls count for its caller, as in Redis
        if (tracking != null)
        {
            if (client.IsScript && Scripts.Caller is { } scriptCaller) tracked = scriptCaller;
            tracking.Writer = tracked;
        }
        spec.Handler(ctx);
        if (tracking != null)
        {
            // Redis 7.0 remembers, for a read inside a script, the keys the EVAL/FCALL declared (not the call's own).
            var (keysOf, keysIn) = client.IsScript && tracked != client ? Scripts.CallerCommand : (counted, request);
            AfterTracked(tracking, tracked, counted, keysOf, keysIn, inScript: client.IsScript);
        }
        long end = Stopwatch.GetTimestamp();
        long elapsed = end - start;
        Propagation.AfterCommand(ctx, request, dirtyBefore);
        Keyspace.CountLookups = false;
        Keyspace.Touching = true;
        long micros = (long)(elapsed * (1_000_000.0 / Stopwatch.Frequency));
        counted.Calls++;
        counted.Microseconds += micros;
        // A command that blocked goes into the histogram when it is served (RecordServed); one that times out never.
        if (latencyTracking && ctx.Blocked == null) (counted.Latency ??= new LatencyHistogram()).RecordMicros(micros);
        // Errors of commands run inside this one (EXEC's queue) were counted for them already.
        if (reply.ErrorsWritten - errorsBefore > nestedErrors - nestedBefore)
        {
            counted.FailedCalls++;
            Stats.CountError(reply.LastError ?? "ERR");
        }
        if (Monitors.Active && (spec.Flags & (CommandFlags.Admin | CommandFlags.SkipMonitor)) == 0)
            Monitors.Feed(client, request, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10);
        if (slowlogThreshold >= 0 && micros >= slowlogThreshold && !spec.Has(CommandFlags.SkipSlowlog))
            SlowLog.Add(request, micros, client, slowlogMaxLen);
        if (micros >= Latency.ThresholdMicros && ctx.Blocked == null) Latency.AddIfNeeded(counted.Has(CommandFlags.Fast) ? "fast-command" : "command", micros);
        return end;
    }

    /// <summary>Client-side caching after a command: the keys a tracking client read, BCAST invalidations, CLIENT CACHING's one-shot flag.</summary>
    private static void AfterTracked(Tracking.TrackingTable tracking, ClientSession client, CommandSpec counted, CommandSpec keysOf, RespRequest keysIn, bool inScript)
    {
        tracking.Writer = null;
        if (client.Tracking is { } t)
        {
            if (!t.Bcast && counted.Has(CommandFlags.ReadOnly)) tracking.Remember(client, t, keysOf, keysIn);
            // As Redis's resetClient: CLIENT CACHING's flag lasts until a command other than CLIENT ... outside MULTI
            // (a script's calls are part of its EVAL, which ends the flag).
            if (!inScript && client.Multi == null && !counted.Name.StartsWith("client|", StringComparison.Ordinal)) t.CachingOnce = false;
        }
        tracking.FlushBroadcasts();
    }

    /// <summary>A blocked command was served (under the lock): that run counts for its time and histogram, as in Redis.</summary>
    internal void RecordServed(CommandSpec command, RespRequest request, long micros)
    {
        var counted = command.Resolve(request);
        counted.Microseconds += micros;
        if (latencyTracking) (counted.Latency ??= new LatencyHistogram()).RecordMicros(micros);
    }

    /// <summary>
    /// Runs a command from inside another one (EXEC's queue) on the same client and reply stream, under the lock
    /// the caller already holds; the outer command's context (arguments, spec, rewrite) is restored after.
    /// </summary>
    internal void CallNested(CommandContext ctx, CommandSpec spec, RespRequest request)
    {
        var (args, command, rewrite, suppress) = (ctx.Args, ctx.Command, ctx.Rewrite, ctx.SuppressPropagation);
        Stats.Commands++;
        long errorsBefore = ctx.Reply.ErrorsWritten;
        try
        {
            Call(ctx, spec, spec.Resolve(request), request, Stopwatch.GetTimestamp());
        }
        finally
        {
            nestedErrors += ctx.Reply.ErrorsWritten - errorsBefore;
            (ctx.Args, ctx.Command, ctx.Rewrite, ctx.SuppressPropagation) = (args, command, rewrite, suppress);
        }
    }

    /// <summary>
    /// EXEC: the reply array, then each queued command in order without letting blocking commands wait, its
    /// propagated effects wrapped in MULTI … EXEC. Runtime errors are just replies inside the array.
    /// </summary>
    internal void RunQueued(CommandContext ctx, Transactions.Transaction tx)
    {
        ctx.Reply.WriteArrayHeader(tx.Queue.Count);
        bool denied = ctx.DenyBlocking;
        ctx.DenyBlocking = true;
        Propagation.BeginTransaction();
        try
        {
            foreach (var (spec, request) in tx.Queue)
            {
                // Checked again: the user's rules may have changed since the command was queued (Redis 7.0 does).
                if (!ctx.Client.User.Unrestricted && AclRefusal(ctx.Client, spec.Resolve(request), request, AclLogContext.Multi) is { } denial)
                {
                    ctx.Reply.WriteError(AclErrors.ChangedSinceQueued(denial));
                    continue;
                }
                CallNested(ctx, spec, request);
            }
        }
        finally
        {
            Propagation.EndTransaction();
            ctx.DenyBlocking = denied;
        }
    }

    /// <summary>
    /// An error before the command ran (unknown, arity, auth, OOM, ...): rejected_calls, as Redis counts them. Inside
    /// MULTI it aborts the transaction; a refused EXEC discards it and says why.
    /// </summary>
    private void Reject(CommandContext ctx, CommandSpec? spec, string error)
    {
        if (spec != null) spec.RejectedCalls++;
        if (ctx.Client.Multi is { } tx) tx.Aborted = true;
        if (spec != null && spec.Handler == ExecHandler)
        {
            Transactions.TransactionCommands.Abandon(ctx.Client);
            error = "EXECABORT Transaction discarded because of: " + (error.StartsWith("ERR ", StringComparison.Ordinal) ? error[4..] : error);
        }
        ctx.Reply.WriteError(error);
        Stats.CountError(error);
    }

    private async Task CronLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            int hz = Settings["hz"].AsInt;
            try { await Task.Delay(1000 / hz, stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try
            {
                lock (Keyspace.Lock)
                {
                    Keyspace.RefreshClock(); // re-anchors the batches' timer-based clock to the wall clock
                    long start = Stopwatch.GetTimestamp();
                    if (!IsPaused && ActiveExpireEnabled) Keyspace.ActiveExpireCycle(budget: 2000);
                    long expireMicros = (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    Stats.ExpireCycleMicroseconds += expireMicros;
                    Latency.AddIfNeeded("expire-cycle", expireMicros);
                    Cron?.Invoke();
                }
                Stats.Sample();
                Memory.Sample();
                Memory.CompactWhenIdle(Interlocked.Read(ref Stats.Commands));
                CloseIdleClients();
            }
            catch (Exception e)
            {
                Log.Error("cron failed", ("error", e.ToString()));
            }
        }
    }

    /// <summary>Work that other parts hook into the cron (under the lock).</summary>
    public event Action? Cron;

    private void CloseIdleClients()
    {
        long timeout = Settings["timeout"].AsLong;
        if (timeout <= 0) return;
        long now = Environment.TickCount64;
        foreach (var c in clients.Values)
        {
            // Subscribers only listen: like Redis, the idle timeout leaves them alone.
            if (!c.Session.IsInternal && !c.Session.InPubSubMode && now - c.Session.LastInteraction > timeout * 1000)
            {
                Log.Info("closing idle client", ("client", c.Session.Remote));
                c.Session.Kill();
            }
        }
    }

    /// <summary>Stops accepting, closes every client and completes <see cref="Stopped"/>.</summary>
    public void Shutdown(string reason)
    {
        if (stopping.IsCancellationRequested) return;
        Log.Info("shutting down", ("reason", reason));
        stopping.Cancel();
        foreach (var l in listeners) l.Dispose();
        foreach (var c in clients.Values) c.Session.Kill();
        ShuttingDown?.Invoke();
        stopped.TrySetResult();
    }

    /// <summary>Hooks run at shutdown (persistence flushes its files here).</summary>
    public event Action? ShuttingDown;
}
