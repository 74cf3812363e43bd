using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Codis.Proxy.Tests;

/// <summary>
/// Popular clients connect with their default options and work through the proxy: StackExchange.Redis (the
/// real library), ioredis and node-redis (the real libraries from npm, when npm is there), redis-py (PyPI is not reachable
/// here: its connect handshake is replayed byte for byte as raw RESP), redis-cli. Every probe they send gets
/// the reply or the error Redis would give, and the connection stays open.
/// </summary>
public class ClientCompatibilityTests(TwoGroupCluster cluster, ITestOutputHelper output) : IClassFixture<TwoGroupCluster>
{
    [Fact]
    public async Task StackExchangeRedis_DefaultOptions_ConnectsAndWorks()
    {
        var log = new StringWriter();
        using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Proxy.Port}", log);
        Assert.True(mux.IsConnected, log.ToString());
        var db = mux.GetDatabase();
        for (int i = 0; i < 50; i++) Assert.True(await db.StringSetAsync("se:" + i, "v" + i));
        var values = await db.StringGetAsync(Enumerable.Range(0, 50).Select(i => (RedisKey)("se:" + i)).ToArray());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "v" + i), values.Select(v => v.ToString()));
        Assert.Equal(50, await db.KeyDeleteAsync(Enumerable.Range(0, 50).Select(i => (RedisKey)("se:" + i)).ToArray()));
        Assert.Equal(7, await db.StringIncrementAsync("se:counter", 7));
        Assert.True(await db.KeyExpireAsync("se:counter", TimeSpan.FromMinutes(1)));
        Assert.True(await db.KeyDeleteAsync("se:counter"));
        Assert.True(await db.PingAsync() < TimeSpan.FromSeconds(5));
        // What it auto-configured from its probes (CLIENT ID, INFO, CONFIG GET, CLUSTER NODES, ECHO).
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.False(server.IsReplica);
        Assert.Equal(new Version(7, 0, 15), server.Version);
        Assert.Equal(16, server.DatabaseCount);
        Assert.Contains("Subscription: ConnectedEstablished", log.ToString());
        // Pub/sub works on its second connection.
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal("ch"), (_, m) => heard.TrySetResult(m!));
        Assert.Equal(1, await mux.GetSubscriber().PublishAsync(RedisChannel.Literal("ch"), "hi"));
        Assert.Equal("hi", await heard.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        // ... and the data connection keeps working.
        Assert.True(await db.StringSetAsync("se:after", "ok"));
        Assert.Equal("ok", await db.StringGetAsync("se:after"));
        Assert.True(mux.IsConnected);
    }

    /// <summary>
    /// redis-py 5.x, redis.Redis(host, port) then r.set/get, as it puts them on the wire: CLIENT SETINFO
    /// LIB-NAME / LIB-VER (errors ignored by it), the commands, and PING health checks; then the same with
    /// protocol=3 (HELLO 3) and with a password (AUTH), which it sends before anything else.
    /// </summary>
    [Fact]
    public void RedisPy_Handshake_Replayed()
    {
        using var c = cluster.Client();
        c.SendRaw("*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$8\r\nredis-py\r\n"u8);
        c.SendRaw("*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$5\r\n5.0.1\r\n"u8);
        Assert.Equal("OK", c.Read().Text);
        Assert.Equal("OK", c.Read().Text);
        Assert.Equal("OK", c.Call("SET", "py:k", "v").Text);
        Assert.Equal("v", c.Call("GET", "py:k").Text);
        Assert.Equal("PONG", c.Call("PING").Text);
        // CLIENT SETNAME when client_name is given, SELECT when db is given.
        Assert.Equal("OK", c.Call("CLIENT", "SETNAME", "py-app").Text);
        Assert.Equal("py-app", c.Call("CLIENT", "GETNAME").Text);
        Assert.Equal("OK", c.Call("SELECT", "0").Text);
        // protocol=3: HELLO 3 — refused the way a RESP2-only Redis refuses it, and the connection stays usable.
        Assert.StartsWith("NOPROTO", c.Call("HELLO", "3").Text);
        Assert.Equal("v", c.Call("GET", "py:k").Text);
        // password=...: AUTH first; without session_auth configured, Redis's own error.
        Assert.StartsWith("ERR AUTH <password> called without any password configured", c.Call("AUTH", "secret").Text);
        Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Fact]
    public void Probes_GetRedisReplies_ConnectionStaysOpen()
    {
        using var c = cluster.Client();
        var hello = c.Call("HELLO");
        Assert.Equal(14, hello.Items!.Length);
        Assert.Equal("server", hello.Items[0].Text);
        Assert.Equal("7.0.15", hello.Items[3].Text);
        Assert.Equal("master", hello.Items[11].Text);
        Assert.Equal(14, c.Call("HELLO", "2", "SETNAME", "probe").Items!.Length);
        Assert.Equal("probe", c.Call("CLIENT", "GETNAME").Text);
        Assert.True(c.Call("CLIENT", "ID").Integer > 0);
        Assert.Contains("name=probe", c.Call("CLIENT", "INFO").Text);
        Assert.Equal("OK", c.Call("CLIENT", "SETINFO", "LIB-NAME", "x").Text);
        Assert.StartsWith("ERR Unrecognized option", c.Call("CLIENT", "SETINFO", "NOPE", "x").Text);
        Assert.Contains("is not allowed", c.Call("CLIENT", "KILL", "127.0.0.1:1").Text);
        Assert.Equal("ERR This instance has cluster support disabled", c.Call("CLUSTER", "NODES").Text);
        Assert.Equal("ERR This instance has cluster support disabled", c.Call("CLUSTER", "INFO").Text);
        var cfg = c.Call("CONFIG", "GET", "databases");
        Assert.Equal(["databases", "16"], cfg.Items!.Select(i => i.Text));
        Assert.Equal(["slave-read-only", "yes"], c.Call("CONFIG", "GET", "slave-read-only").Items!.Select(i => i.Text));
        Assert.Empty(c.Call("CONFIG", "GET", "no-such-parameter").Items!);
        Assert.Contains("'CONFIG SET' is not allowed", c.Call("CONFIG", "SET", "maxmemory", "1").Text);
        var info = c.Call("INFO").Text!;
        Assert.Contains("redis_version:7.0.15", info);
        Assert.Contains("role:master", info);
        Assert.Contains("loading:0", info);
        Assert.DoesNotContain("cmdstat_", info);
        Assert.Contains("cmdstat_", c.Call("INFO", "commandstats").Text);
        var server = c.Call("INFO", "server").Text!;
        Assert.Contains("redis_mode:standalone", server);
        Assert.DoesNotContain("role:", server);
        Assert.Contains("role:master", c.Call("INFO", "server", "replication").Text);
        // INFO backend-addr goes to that backend (whatever it answers), an unknown address is refused.
        Assert.DoesNotContain("codis_component:codis-proxy", c.Call("INFO", $"127.0.0.1:{cluster.Group1.Port}").Text);
        Assert.Equal("ERR backend server '10.0.0.1:1' not found", c.Call("INFO", "10.0.0.1:1").Text);
        Assert.Equal("hi", c.Call("ECHO", "hi").Text);
        Assert.Equal("hi", c.Call("PING", "hi").Text);
        Assert.Equal("RESET", c.Call("RESET").Text);
        Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Fact]
    public void RedisCli_WorksThroughTheProxy()
    {
        string Cli(params string[] args)
        {
            var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["-p", cluster.Proxy.Port.ToString(), .. args]) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(10_000));
            return text.Trim();
        }
        Assert.Equal("OK", Cli("set", "cli:a", "1"));
        Assert.Equal("1", Cli("get", "cli:a"));
        Assert.Equal("OK", Cli("mset", "cli:b", "2", "cli:c", "3"));
        Assert.Equal("1\n2\n3", Cli("mget", "cli:a", "cli:b", "cli:c"));
        Assert.Equal(new[] { "cli:a", "cli:b", "cli:c" }, Cli("keys", "cli:*").Split('\n').Order());
        Assert.Contains("is not allowed", Cli("migrate", "h", "1", "cli:a", "0", "0"));
        Assert.Contains("redis_version", Cli("info"));
        Assert.Equal("PONG", Cli("ping"));
    }

    /// <summary>
    /// The real redis-py (Debian's python3-redis, installed by test.sh) with its default options: commands of every
    /// type, keys of both groups in one MGET/MSET/DEL, a 1,000-command pipeline, a registered script (EVALSHA, then
    /// EVAL after NOSCRIPT), its lock (Lua too), pub/sub, and a MULTI pipeline (one slot: runs; two: a clear error).
    /// </summary>
    [NeedsRedisPyFact]
    public void RedisPy_DefaultOptions_EveryTypePipelinesScriptsAndPubSub()
    {
        var (rc, result) = RedisPy.Run(cluster.Proxy.Port, """
            import redis, json, time
            r = redis.Redis(host='127.0.0.1', port=PORT, decode_responses=True)
            out = {}
            out['ping'] = r.ping()
            r.mset({'py:a': '1', 'py:b': '2', 'py:c': '3'})
            out['mget'] = r.mget('py:a', 'py:b', 'py:c', 'py:none')
            out['incr'] = r.incrby('py:a', 41)
            r.expire('py:b', 100)
            out['ttl'] = 0 < r.ttl('py:b') <= 100
            r.hset('py:h', mapping={'f': 'v', 'n': '1'})
            out['hash'] = r.hgetall('py:h')
            r.rpush('py:l', 'x', 'y', 'z')
            out['list'] = r.lrange('py:l', 0, -1)
            r.sadd('py:s', 'm1', 'm2')
            out['set'] = sorted(r.smembers('py:s'))
            r.zadd('py:z', {'a': 1.5, 'b': 2})
            out['zset'] = r.zrange('py:z', 0, -1, withscores=True)
            p = r.pipeline(transaction=False)
            for i in range(1000):
                p.set(f'py:p{i}', i)
                p.get(f'py:p{i}')
            replies = p.execute()
            out['pipeline'] = all(replies[2 * i] is True and replies[2 * i + 1] == str(i) for i in range(1000))
            out['del'] = r.delete(*[f'py:p{i}' for i in range(1000)])
            script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
            out['script'] = [script(keys=['py:n'], args=[5]), script(keys=['py:n'], args=[5])]
            with r.lock('py:lock', timeout=10):
                out['locked'] = r.exists('py:lock')
            out['unlocked'] = r.exists('py:lock')
            ps = r.pubsub()
            ps.subscribe('py:ch')
            ps.get_message(timeout=5)
            r.publish('py:ch', 'hello')
            msg = ps.get_message(timeout=5)
            out['pubsub'] = msg and msg['data']
            ps.close()
            t = r.pipeline()
            t.incr('py:n')
            t.get('py:n')
            out['multi'] = t.execute()
            try:
                t = r.pipeline()
                t.incr('py:n')
                t.incr('py:a')
                t.execute()
                out['crossslot'] = 'no error'
            except redis.ResponseError as e:
                out['crossslot'] = str(e)
            out['info'] = r.info('server')['redis_version']
            print(json.dumps(out))
            """);
        output.WriteLine(result);
        Assert.Equal(0, rc);
        Assert.Contains("\"ping\": true", result);
        Assert.Contains("\"mget\": [\"1\", \"2\", \"3\", null]", result);
        Assert.Contains("\"incr\": 42", result);
        Assert.Contains("\"ttl\": true", result);
        Assert.Contains("\"hash\": {\"f\": \"v\", \"n\": \"1\"}", result);
        Assert.Contains("\"list\": [\"x\", \"y\", \"z\"]", result);
        Assert.Contains("\"set\": [\"m1\", \"m2\"]", result);
        Assert.Contains("\"zset\": [[\"a\", 1.5], [\"b\", 2.0]]", result);
        Assert.Contains("\"pipeline\": true", result);
        Assert.Contains("\"del\": 1000", result);
        Assert.Contains("\"script\": [5, 10]", result);
        Assert.Contains("\"locked\": 1", result);
        Assert.Contains("\"unlocked\": 0", result);
        Assert.Contains("\"pubsub\": \"hello\"", result);
        // a transaction on one slot runs (over a connection pinned to the session); one across slots is refused
        Assert.Contains("\"multi\": [11, \"11\"]", result);
        Assert.Contains("\"crossslot\": \"", result);
        Assert.Contains("CROSSSLOT", result);
        Assert.Contains("\"info\": \"7.0.15\"", result);
    }

    /// <summary>The real ioredis from npm (installed by the test into its own folder); skipped without npm.</summary>
    [NeedsNpmFact]
    public void IoRedis_DefaultOptions_ConnectsAndWorks()
    {
        if (NpmPackage("ioredis", "ioredis", "ioredis-npm", "ioredis@5") is not { } dir) return;
        string script = Path.Combine(dir, "check.js");
        File.WriteAllText(script, """
            const Redis = require('ioredis');
            const r = new Redis({ port: Number(process.argv[2]), host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null });
            r.on('error', e => { console.log('ERROR ' + e.message); });
            (async () => {
              await r.set('io:a', '1');
              await r.set('io:b', '2');
              const got = await r.mget('io:a', 'io:b', 'io:none');
              const p = await r.pipeline().incr('io:n').incr('io:n').get('io:a').exec();
              let refused = '';
              try { await r.migrate('h', 1, 'io:n', 0, 0); } catch (e) { refused = e.message; }
              const info = await r.info('server');
              console.log(JSON.stringify({ status: r.status, got, pipe: p.map(x => x[1]), refused, version: /redis_version:(\S+)/.exec(info)[1] }));
              await r.del('io:n');
              r.disconnect();
            })().catch(e => { console.log('FAILED ' + e.message); process.exit(1); });
            """);
        var (rc, result) = Run("node", dir, 30_000, script, cluster.Proxy.Port.ToString());
        output.WriteLine(result);
        Assert.Equal(0, rc);
        Assert.Contains("\"status\":\"ready\"", result);
        Assert.Contains("\"got\":[\"1\",\"2\",null]", result);
        Assert.Contains("\"pipe\":[1,2,\"1\"]", result);
        Assert.Contains("command 'MIGRATE' is not allowed", result);
        Assert.Contains("\"version\":\"7.0.15\"", result);
        Assert.DoesNotContain("ERROR", result);
    }

    /// <summary>The real node-redis (npm package "redis", v4) with its default options; skipped without npm.</summary>
    [NeedsNpmFact]
    public void NodeRedis_DefaultOptions_ConnectsAndWorks()
    {
        if (NpmPackage("node-redis", "redis", "node-redis-npm", "redis@4") is not { } dir) return;
        string script = Path.Combine(dir, "check.js");
        File.WriteAllText(script, """
            const { createClient } = require('redis');
            (async () => {
              const c = createClient({ socket: { port: Number(process.argv[2]), host: '127.0.0.1', reconnectStrategy: false } });
              const errors = [];
              c.on('error', e => errors.push(e.message));
              await c.connect();
              const out = {};
              await c.set('nr:a', '1');
              await c.set('nr:b', '2', { EX: 60 });
              out.mget = await c.mGet(['nr:a', 'nr:b', 'nr:none']);
              out.ttl = await c.ttl('nr:b');
              await c.hSet('nr:h', { f1: 'v1', f2: 'v2' });
              out.hash = await c.hGetAll('nr:h');
              await c.rPush('nr:l', ['x', 'y', 'z']);
              out.list = await c.lRange('nr:l', 0, -1);
              await c.sAdd('nr:s', ['m1', 'm2']);
              out.set = (await c.sMembers('nr:s')).sort();
              await c.zAdd('nr:z', [{ score: 1.5, value: 'a' }, { score: 2, value: 'b' }]);
              out.zset = await c.zRangeWithScores('nr:z', 0, -1);
              // many commands in flight at once: node-redis writes them back to back on one connection
              const many = await Promise.all(Array.from({ length: 500 }, (_, i) => c.incr('nr:n')));
              out.inflight = [many.length, Math.max(...many)];
              out.pipeline = await c.multi().incr('nr:p').incr('nr:p').get('nr:a').execAsPipeline();
              try { await c.multi().incr('nr:m').exec(); out.multi = 'ok'; } catch (e) { out.multi = e.message; }
              out.eval = await c.eval("return redis.call('GET', KEYS[1])", { keys: ['nr:a'] });
              const sub = c.duplicate();
              sub.on('error', e => errors.push('sub ' + e.message));
              await sub.connect();
              const got = new Promise(r => sub.subscribe('nr:chan', m => r(m)));
              await new Promise(r => setTimeout(r, 200));
              out.receivers = await c.publish('nr:chan', 'hello');
              out.message = await Promise.race([got, new Promise(r => setTimeout(() => r('timeout'), 5000))]);
              out.info = /redis_version:(\S+)/.exec(await c.info('server'))[1];
              await c.del(['nr:a', 'nr:b', 'nr:h', 'nr:l', 'nr:s', 'nr:z', 'nr:n', 'nr:p', 'nr:m']);
              await sub.quit();
              await c.quit();
              out.errors = errors;
              console.log(JSON.stringify(out));
            })().catch(e => { console.log('FAILED ' + e.message); process.exit(1); });
            """);
        var (rc, result) = Run("node", dir, 30_000, script, cluster.Proxy.Port.ToString());
        output.WriteLine(result);
        Assert.Equal(0, rc);
        Assert.Contains("\"mget\":[\"1\",\"2\",null]", result);
        Assert.Contains("\"ttl\":60", result);
        Assert.Contains("\"hash\":{\"f1\":\"v1\",\"f2\":\"v2\"}", result);
        Assert.Contains("\"list\":[\"x\",\"y\",\"z\"]", result);
        Assert.Contains("\"set\":[\"m1\",\"m2\"]", result);
        Assert.Contains("\"zset\":[{\"value\":\"a\",\"score\":1.5},{\"value\":\"b\",\"score\":2}]", result);
        Assert.Contains("\"inflight\":[500,500]", result);
        Assert.Contains("\"pipeline\":[1,2,\"1\"]", result);
        Assert.Contains("\"eval\":\"1\"", result);
        Assert.Contains("\"receivers\":1,\"message\":\"hello\"", result);
        Assert.Contains("\"info\":\"7.0.15\"", result);
        Assert.Contains("\"errors\":[]", result);
        Assert.Contains("\"multi\":\"ok\"", result); // one key: the proxy runs the transaction on its group
    }

    /// <summary>The npm package installed once into its own folder under the test's output; null (said why) when npm fails.</summary>
    private string? NpmPackage(string name, string package, string folder, string spec)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, folder);
        if (File.Exists(Path.Combine(dir, "node_modules", package, "package.json"))) return dir;
        Directory.CreateDirectory(dir);
        var (code, text) = Run("npm", dir, 180_000, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", dir, spec);
        if (code == 0) return dir;
        output.WriteLine($"{name} could not be installed from npm (exit {code}), test not run:\n{text}");
        return null;
    }

    private static (int Code, string Output) Run(string file, string dir, int timeoutMs, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason shown, when npm/node are not installed.</summary>
public sealed class NeedsNpmFactAttribute : FactAttribute
{
    public NeedsNpmFactAttribute()
    {
        bool Has(string tool) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
        if (!Has("npm") || !Has("node")) Skip = "npm/node are not installed: the ioredis test needs them (apt-get install npm)";
    }
}
