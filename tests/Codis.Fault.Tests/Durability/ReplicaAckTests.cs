using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Durability;

/// <summary>
/// backend_replica_ack: a proxy that answers a write only once the master confirms (WAIT) that a replica has it.
/// Group 1 is a master alone, group 2 a master with a live replica. Writes to group 1 get NOREPLICAS (applied
/// but not durable), writes to group 2 are answered and are on the replica the moment they are; a pipeline gets
/// one WAIT per backend flush, not one per write; once group 2's replica is killed its writes are refused too.
/// Run against codis-server and, as the oracle, against redis-server behind the same proxy.
/// </summary>
[Collection(FaultCollection.Name)]
public class ReplicaAckTests(ITestOutputHelper output)
{
    private const int AckTimeoutMs = 300;

    [SkippableTheory]
    [InlineData("codis-server")]
    [InlineData("redis-server")]
    public void AWriteIsAnsweredOnlyOnceAReplicaHasIt(string kind)
    {
        Skip.If(kind == "redis-server" && !RedisServerProcess.Available, "SKIPPED: redis-server is not installed");
        var owned = new List<IDisposable>();
        try
        {
            (ManagedProcess P, int Port) Start()
            {
                if (kind == "redis-server")
                {
                    var r = RedisServerProcess.Start();
                    owned.Add(r);
                    return (r, r.Port);
                }
                var c = CodisServerProcess.Start();
                owned.Add(c);
                return (c, c.Port);
            }
            var (_, alone) = Start();
            var (_, master) = Start();
            var (replicaProc, replica) = Start();
            RespClient Direct(int port) => new("127.0.0.1", port, TimeSpan.FromSeconds(10));
            using (var rc = Direct(replica)) Assert.Equal("OK", rc.Call("REPLICAOF", "127.0.0.1", master.ToString()).Text);
            SeedEnv.Eventually(() =>
            {
                using var mc = Direct(master);
                return (mc.Call("INFO", "replication").Text ?? "").Contains("state=online");
            }, TimeSpan.FromSeconds(30), "the replica is online");

            var proxy = CodisProxyProcess.StartWithSlots(
                [.. CodisProxyProcess.Range(0, 511, $"127.0.0.1:{alone}", 1), .. CodisProxyProcess.Range(512, 1023, $"127.0.0.1:{master}", 2)],
                "--backend_replica_ack", "1", "--backend_replica_ack_timeout", $"{AckTimeoutMs}ms");
            owned.Add(proxy);
            string lone = Keys.TagIn(0, 511), paired = Keys.TagIn(512, 1023);
            using var c = proxy.Client(15_000);

            // no replica: the master applies the write, the client is told it is not durable
            var sw = Stopwatch.StartNew();
            var refused = c.Call("SET", lone + ":k", "v1");
            var took = sw.Elapsed;
            output.WriteLine($"{kind}: SET on a master without a replica → {refused.Text} in {took.TotalMilliseconds:0} ms");
            Assert.True(refused.IsError, $"a write to a master without a replica was answered {refused.Text}");
            Assert.StartsWith("NOREPLICAS the write was applied by the master", refused.Text);
            Assert.Contains("0 of 1 replicas confirmed it", refused.Text);
            Assert.True(took >= TimeSpan.FromMilliseconds(AckTimeoutMs - 50), $"refused after {took.TotalMilliseconds:0} ms, before WAIT's timeout");
            // reads are answered as usual, and an error reply of a write is passed on as it is
            Assert.Equal("v1", c.Call("GET", lone + ":k").Text);
            var wrongType = c.Call("LPUSH", lone + ":k", "x");
            Assert.StartsWith("WRONGTYPE", wrongType.Text);

            // a transaction: EXEC of writes waits for the replicas too; a read-only one does not
            Assert.Equal("OK", c.Call("MULTI").Text);
            Assert.Equal("QUEUED", c.Call("SET", lone + ":tx", "1").Text);
            var exec = c.Call("EXEC");
            Assert.True(exec.IsError && exec.Text!.StartsWith("NOREPLICAS"), $"EXEC of a write on a master without a replica: {exec}");
            Assert.Equal("OK", c.Call("MULTI").Text);
            Assert.Equal("QUEUED", c.Call("GET", lone + ":tx").Text);
            Assert.Equal("1", c.Call("EXEC").Items![0].Text);

            // a blocking pop changes data too: it waits for the replicas
            Assert.StartsWith("NOREPLICAS", c.Call("RPUSH", lone + ":list", "a").Text);
            var popped = c.Call("BLPOP", lone + ":list", "1");
            Assert.True(popped.IsError && popped.Text!.StartsWith("NOREPLICAS"), $"BLPOP on a master without a replica: {popped}");
            Assert.True(c.Call("BLPOP", lone + ":list", "0.2").Items == null, "BLPOP of an empty list times out (nil), no WAIT verdict");

            // a live replica: answered, and the replica has it at that moment
            using var rc2 = Direct(replica);
            for (int i = 0; i < 20; i++)
            {
                var ok = c.Call("SET", paired + ":k" + i, "v" + i);
                Assert.True(ok.Text == "OK", $"write {i} with a live replica: {ok.Text}");
                Assert.Equal("v" + i, rc2.Call("GET", paired + ":k" + i).Text);
            }

            Assert.Equal("OK", c.Call("MULTI").Text);
            Assert.Equal("QUEUED", c.Call("SET", paired + ":tx", "2").Text);
            Assert.Equal("QUEUED", c.Call("INCR", paired + ":tx").Text);
            var pairedExec = c.Call("EXEC");
            Assert.True(pairedExec.Items is { Length: 2 }, $"EXEC with a live replica: {pairedExec}");
            Assert.Equal("3", rc2.Call("GET", paired + ":tx").Text);
            Assert.Equal(1, c.Call("RPUSH", paired + ":list", "a").Integer);
            var pairedPop = c.Call("BLPOP", paired + ":list", "1");
            Assert.True(pairedPop.Items is { Length: 2 } && pairedPop.Items[1].Text == "a", $"BLPOP with a live replica: {pairedPop}");
            Assert.Equal(0, rc2.Call("EXISTS", paired + ":list").Integer);

            // a pipeline of 500 writes: every one answered, all on the replica, far fewer WAITs than writes
            long waitsBefore = WaitCalls(master);
            const int n = 500;
            var wire = new StringBuilder();
            for (int i = 0; i < n; i++)
            {
                string k = $"{paired}:p{i}";
                wire.Append($"*3\r\n$3\r\nSET\r\n${Encoding.UTF8.GetByteCount(k)}\r\n{k}\r\n${i.ToString().Length}\r\n{i}\r\n");
            }
            c.SendRaw(Encoding.ASCII.GetBytes(wire.ToString()));
            for (int i = 0; i < n; i++) Assert.Equal("OK", c.Read().Text);
            long waits = WaitCalls(master) - waitsBefore;
            output.WriteLine($"{kind}: a pipeline of {n} writes → {waits} WAIT(s) at the master");
            Assert.InRange(waits, 1, n / 10);
            var onReplica = rc2.Call(["MGET", .. Enumerable.Range(0, n).Select(i => $"{paired}:p{i}")]);
            Assert.Equal(Enumerable.Range(0, n).Select(i => i.ToString()), onReplica.Items!.Select(x => x.Text));

            // the replica dies: the same master's writes are refused from now on
            replicaProc.Kill();
            SeedEnv.Eventually(() =>
            {
                using var mc = Direct(master);
                return (mc.Call("INFO", "replication").Text ?? "").Contains("connected_slaves:0");
            }, TimeSpan.FromSeconds(30), "the master sees its replica gone");
            var gone = c.Call("SET", paired + ":after", "x");
            Assert.True(gone.IsError && gone.Text!.StartsWith("NOREPLICAS"), $"a write after the replica died: {gone.Text}");
        }
        finally
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        }
    }

    private static long WaitCalls(int port)
    {
        using var c = new RespClient("127.0.0.1", port, TimeSpan.FromSeconds(10));
        var line = (c.Call("INFO", "commandstats").Text ?? "").Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_wait:", StringComparison.Ordinal));
        if (line == null) return 0;
        var calls = line.Split(':', 2)[1].Split(',')[0]; // calls=N
        return long.Parse(calls.Split('=')[1]);
    }
}
