using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Server.Tests.Clients;

/// <summary>The real redis-py (Debian's python3-redis) against codis-server with its default options.</summary>
public sealed class RedisPyTests(ITestOutputHelper output) : IDisposable
{
    private readonly CodisServerProcess server = CodisServerProcess.Start();

    [NeedsRedisPyFact]
    public void RedisPy_TransactionsWatchPubSubScriptsBlockingStreamsScan()
    {
        var (rc, result) = RedisPy.Run(server.Port, """
            import redis, json, threading, time
            r = redis.Redis(host='127.0.0.1', port=PORT, decode_responses=True)
            out = {}
            r.set('n', 1)
            with r.pipeline() as p:
                p.incr('n')
                p.lpush('l', 'a', 'b')
                out['multi'] = p.execute()
            # WATCH: a change by another client between WATCH and EXEC aborts the transaction
            other = redis.Redis(host='127.0.0.1', port=PORT, decode_responses=True)
            with r.pipeline() as p:
                p.watch('n')
                other.incr('n')
                p.multi()
                p.incr('n')
                try:
                    p.execute()
                    out['watch'] = 'ran'
                except redis.WatchError:
                    out['watch'] = 'aborted'
            def bump(pipe):
                v = int(pipe.get('n'))
                pipe.multi()
                pipe.set('n', v * 10)
            out['transaction'] = r.transaction(bump, 'n')
            out['n'] = r.get('n')
            s = r.register_script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
            out['script'] = s(keys=['sc'], args=['x'])
            lock = r.lock('lk', timeout=5)
            out['lock'] = [lock.acquire(blocking=False), r.lock('lk', timeout=5).acquire(blocking=False)]
            lock.release()
            ps = r.pubsub()
            ps.psubscribe('news.*')
            ps.get_message(timeout=5)
            r.publish('news.today', 'hi')
            m = ps.get_message(timeout=5)
            out['pubsub'] = [m['type'], m['channel'], m['data']]
            ps.close()
            threading.Timer(0.3, lambda: other.rpush('q', 'job')).start()
            out['blpop'] = r.blpop('q', timeout=5)
            out['blpop_timeout'] = r.blpop('q', timeout=0.2)
            r.xadd('st', {'f': 'v'}, id='1-1')
            out['xread'] = r.xread({'st': '0'})
            r.xgroup_create('st', 'g', id='0')
            out['xreadgroup'] = r.xreadgroup('g', 'c', {'st': '>'})
            out['xack'] = r.xack('st', 'g', '1-1')
            for i in range(300):
                r.set(f'scan:{i}', i)
            out['scan'] = len(set(r.scan_iter(match='scan:*', count=50)))
            out['hscan'] = len(dict(r.hscan_iter('nohash')))
            r.zadd('z', {'a': 1, 'b': 2})
            out['zscan'] = list(r.zscan_iter('z'))
            out['config'] = r.config_get('maxmemory')
            out['client'] = r.client_setname('py') and r.client_getname()
            print(json.dumps(out))
            """);
        output.WriteLine(result);
        Assert.Equal(0, rc);
        Assert.Contains("\"multi\": [2, 2]", result);
        Assert.Contains("\"watch\": \"aborted\"", result);
        Assert.Contains("\"transaction\": [true]", result);
        Assert.Contains("\"n\": \"30\"", result);
        Assert.Contains("\"script\": [\"sc\", \"x\", 1]", result);
        Assert.Contains("\"lock\": [true, false]", result);
        Assert.Contains("\"pubsub\": [\"pmessage\", \"news.today\", \"hi\"]", result);
        Assert.Contains("\"blpop\": [\"q\", \"job\"]", result);
        Assert.Contains("\"blpop_timeout\": null", result);
        Assert.Contains("\"xread\": [[\"st\", [[\"1-1\", {\"f\": \"v\"}]]]]", result);
        Assert.Contains("\"xreadgroup\": [[\"st\", [[\"1-1\", {\"f\": \"v\"}]]]]", result);
        Assert.Contains("\"xack\": 1", result);
        Assert.Contains("\"scan\": 300", result);
        Assert.Contains("\"hscan\": 0", result);
        Assert.Contains("\"zscan\": [[\"a\", 1.0], [\"b\", 2.0]]", result);
        Assert.Contains("\"config\": {\"maxmemory\": \"0\"}", result);
        Assert.Contains("\"client\": \"py\"", result);
    }

    public void Dispose() => server.Dispose();
}
