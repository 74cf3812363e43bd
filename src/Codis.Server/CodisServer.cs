using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Networking;
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
        foreach (var name in new[] { "proto-max-bulk-len", "proto-max-multibulk-len", "proto-inline-max-size" })
            settings[name].Changed = _ => Limits = BuildLimits();
    }

    public Settings Settings { get; }
    public Keyspace Keyspace { get; }

    /// <summary>Clients blocked in BLPOP and friends, served after each command that writes their keys.</summary>
    public Networking.Blocking.BlockingRegistry Blocking { get; }
    public string RunId { get; }
    public RespLimits Limits { get; private set; }
    public Stats Stats { get; } = new();
    public SlowLog SlowLog { get; } = new();
    public long StartedAt { get; } = Environment.TickCount64;
    public long StartedAtUnixMs { get; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    public int Port { get; private set; }
    public Task Stopped => stopped.Task;
    public CancellationToken StoppingToken => stopping.Token;

    public bool RequiresAuth => Settings["requirepass"].Value.Length > 0;

    public IEnumerable<ClientConnection> Clients => clients.Values;

    private RespLimits BuildLimits() => new()
    {
        MaxBulkLength = Settings["proto-max-bulk-len"].AsLong,
        MaxArguments = Settings["proto-max-multibulk-len"].AsLong,
        MaxInlineLength = Settings["proto-inline-max-size"].AsInt,
    };

    public void Start()
    {
        int port = Settings["port"].AsInt;
        foreach (var addr in Settings["bind"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var ip = addr is "*" or "0.0.0.0" ? IPAddress.Any : addr == "::" ? IPAddress.IPv6Any : IPAddress.Parse(addr.TrimStart('-'));
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
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
            var connection = new ClientConnection(this, socket);
            clients[connection.Session.Id] = connection;
            _ = Task.Run(connection.RunAsync);
        }
    }

    internal void Unregister(ClientConnection connection) => clients.TryRemove(connection.Session.Id, out _);

    /// <summary>
    /// Runs a batch of parsed requests of one client, in order from <paramref name="start"/>, under the keyspace
    /// lock; after each command, clients blocked on keys it wrote are served. Returns the index of the first
    /// request not run: earlier than the end when a command blocked (<see cref="CommandContext.Blocked"/>).
    /// </summary>
    internal int Execute(CommandContext ctx, List<RespRequest> batch, int start = 0)
    {
        if (start >= batch.Count) return batch.Count;
        lock (Keyspace.Lock)
        {
            for (int i = start; i < batch.Count; i++)
            {
                Keyspace.RefreshClock();
                ExecuteOne(ctx, batch[i]);
                Blocking.ServeReady();
                if (ctx.Blocked != null) return i + 1;
                if (ctx.Client.CloseAfterReply) break;
            }
        }
        return batch.Count;
    }

    /// <summary>Looks up, checks and runs one command; the caller holds the lock.</summary>
    internal void ExecuteOne(CommandContext ctx, RespRequest request)
    {
        var client = ctx.Client;
        var spec = CommandTable.Find(request[0]);
        Stats.Commands++;
        if (spec == null)
        {
            Stats.UnknownCommands++;
            ctx.Reply.WriteError(ClientConnection.DescribeUnknown(request));
            return;
        }
        if (!spec.ArityOk(request.Count))
        {
            spec.RejectedCalls++;
            ctx.Reply.WriteError(Errors.WrongArity(spec.Name));
            return;
        }
        if (!client.Authenticated && !spec.Has(CommandFlags.NoAuth))
        {
            spec.RejectedCalls++;
            ctx.Reply.WriteError(Errors.NoAuth);
            return;
        }
        ctx.Args = request;
        ctx.Command = spec;
        ctx.Rewrite = null;
        ctx.SuppressPropagation = false;
        client.LastCommand = spec.Name;
        long start = Stopwatch.GetTimestamp();
        spec.Handler(ctx);
        long micros = (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        spec.Calls++;
        spec.Microseconds += micros;
        long threshold = Settings["slowlog-log-slower-than"].AsLong;
        if (threshold >= 0 && micros >= threshold)
            SlowLog.Add(request, micros, client, Settings["slowlog-max-len"].AsInt);
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
                    Keyspace.ActiveExpireCycle(budget: 2000);
                    Cron?.Invoke();
                }
                Stats.Sample();
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
            if (!c.Session.IsInternal && now - c.Session.LastInteraction > timeout * 1000)
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
