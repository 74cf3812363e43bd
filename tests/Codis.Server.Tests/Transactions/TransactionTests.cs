using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using StackExchange.Redis;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Transactions;

/// <summary>
/// Transactions on codis-server alone: atomicity under concurrent clients, CLIENT LIST's multi state, StackExchange.Redis
/// transactions with conditions, the AOF wrapping (and an AOF cut inside MULTI), and replication of MULTI/EXEC.
/// </summary>
public class TransactionTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Exec_runs_the_queue_atomically_while_other_clients_write()
    {
        using (var c = fx.Client()) c.Call("DEL", "tx:atomic");
        var errors = new List<string>();
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            using var c = fx.Client();
            for (int i = 0; i < 150; i++)
            {
                c.Call("MULTI");
                c.Call("INCR", "tx:atomic");
                c.Call("GET", "tx:atomic");
                c.Call("INCR", "tx:atomic");
                var r = c.Call("EXEC");
                long first = r.Items![0].Integer, read = long.Parse(r.Items[1].Text!), second = r.Items[2].Integer;
                // Nothing of another client's transaction ran in between.
                if (read != first || second != first + 1 || first % 2 != 1) lock (errors) errors.Add(r.ToString());
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.Empty(errors);
        using var check = fx.Client();
        Assert.Equal("900", check.Call("GET", "tx:atomic").Text);
    }

    [Fact]
    public void Client_list_shows_multi_state_and_a_dirty_watch()
    {
        using var c = fx.Client();
        using var other = fx.Client();
        c.Call("CLIENT", "SETNAME", "txlist");
        string Line() => other.Call("CLIENT", "LIST").Text!.Split('\n').Single(l => l.Contains("name=txlist "));
        Assert.Contains(" flags=N ", Line());
        Assert.Contains(" multi=-1 ", Line());
        c.Call("SET", "tx:list", "1");
        c.Call("WATCH", "tx:list");
        other.Call("SET", "tx:list", "2");
        Assert.Contains(" flags=d ", Line()); // the watched key changed: EXEC will fail
        c.Call("MULTI").AssertOk();
        c.Call("SET", "tx:a", "1");
        c.Call("SET", "tx:b", "2");
        var line = Line();
        Assert.Contains(" flags=xd ", line);
        Assert.Contains(" multi=2 ", line);
        Assert.True(c.Call("EXEC").IsNull);
        Assert.Contains(" flags=N ", Line());
        Assert.Contains(" multi=-1 ", Line());
        // Inside EXEC the client is still in MULTI, as Redis shows it.
        c.Call("MULTI");
        c.Call("CLIENT", "INFO");
        var inside = c.Call("EXEC").Items![0].Text!;
        Assert.Contains(" flags=x ", inside);
        Assert.Contains(" multi=1 ", inside);
    }

    [Fact]
    public void Disconnect_drops_the_transaction_and_the_watches()
    {
        using var c = fx.Client();
        using (var gone = fx.Client())
        {
            gone.Call("CLIENT", "SETNAME", "txgone");
            gone.Call("WATCH", "tx:gone");
            gone.Call("MULTI");
            gone.Call("SET", "tx:gone", "never");
        }
        Eventually.True(() => !c.Call("CLIENT", "LIST").Text!.Contains("name=txgone "), Patience, "the client to go");
        Assert.True(c.Call("GET", "tx:gone").IsNull);
        c.Call("SET", "tx:gone", "1").AssertOk(); // nobody left to tell
    }

    [Fact]
    public void Slot_commands_that_move_or_delete_a_key_fail_its_watchers()
    {
        using var target = CodisServerProcess.Start("--save", "");
        using var c = fx.Client();
        using var other = fx.Client();
        bool ExecAfter(string key, Action change)
        {
            c.Call("SET", key, "v").AssertOk();
            c.Call("WATCH", key).AssertOk();
            change();
            c.Call("MULTI").AssertOk();
            c.Call("GET", key);
            return !c.Call("EXEC").IsNull;
        }
        // SLOTSMGRTONE sends the key to another server and deletes it here.
        Assert.False(ExecAfter("tx:mgrt", () =>
            Assert.Equal(1, other.Call("SLOTSMGRTONE", "127.0.0.1", target.Port.ToString(), "5000", "tx:mgrt").Integer)));
        using (var t = target.Client()) Assert.Equal("v", t.Call("GET", "tx:mgrt").Text);
        // SLOTSDEL drops the key's whole slot.
        Assert.False(ExecAfter("tx:slotsdel", () =>
            other.Call("SLOTSDEL", other.Call("SLOTSHASHKEY", "tx:slotsdel").Items![0].Integer.ToString())));
        // SLOTSRESTORE writes over it.
        Assert.False(ExecAfter("tx:restore", () =>
        {
            other.Call("SET", "tx:restore-src", "new");
            var dump = other.Call("DUMP", "tx:restore-src").Bytes!;
            other.Call("SLOTSRESTORE"u8.ToArray(), "tx:restore"u8.ToArray(), "0"u8.ToArray(), dump).AssertOk();
        }));
        // Untouched: EXEC runs.
        Assert.True(ExecAfter("tx:untouched", () => other.Call("SLOTSHASHKEY", "tx:untouched")));
    }

    [Fact]
    public async Task StackExchange_transaction_with_conditions()
    {
        using var mux = ConnectionMultiplexer.Connect(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", fx.Server.Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
        });
        var db = mux.GetDatabase();
        db.KeyDelete(["se:tx:v", "se:tx:out", "se:tx:h"]);
        db.StringSet("se:tx:v", "expected");

        var ok = db.CreateTransaction();
        ok.AddCondition(Condition.StringEqual("se:tx:v", "expected"));
        ok.AddCondition(Condition.KeyNotExists("se:tx:out"));
        var set = ok.StringSetAsync("se:tx:out", "written");
        var incr = ok.HashIncrementAsync("se:tx:h", "n", 5);
        Assert.True(ok.Execute());
        Assert.True(await set);
        Assert.Equal(5, await incr);
        Assert.Equal("written", (string?)db.StringGet("se:tx:out"));

        var refused = db.CreateTransaction();
        refused.AddCondition(Condition.StringEqual("se:tx:v", "something else"));
        _ = refused.StringSetAsync("se:tx:out", "must not be written");
        Assert.False(refused.Execute());
        Assert.Equal("written", (string?)db.StringGet("se:tx:out"));

        // A hash condition that holds: the increment runs.
        var hash = db.CreateTransaction();
        hash.AddCondition(Condition.HashEqual("se:tx:h", "n", 5));
        var more = hash.HashIncrementAsync("se:tx:h", "n", 100);
        Assert.True(hash.Execute());
        Assert.Equal(105, await more);
    }

    [Fact]
    public void Aof_gets_the_transaction_wrapped_and_replays_it()
    {
        using var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", "always");
        string incr = Path.Combine(s.DataDir, "appendonlydir", "appendonly.aof.1.incr.aof");
        using (var c = s.Client())
        {
            c.Call("MULTI");
            c.Call("SET", "a", "1");
            c.Call("GET", "a");
            c.Call("INCRBY", "n", "7");
            c.Call("SELECT", "2");
            c.Call("SET", "b", "2");
            Assert.Equal(5, c.Call("EXEC").Items!.Length);
            c.Call("MULTI");
            c.Call("GET", "a");
            c.Call("EXEC"); // read-only: nothing to propagate, not even MULTI/EXEC
        }
        string aof = File.ReadAllText(incr);
        Assert.Contains("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$1\r\n7\r\n" +
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*1\r\n$4\r\nEXEC\r\n", aof);
        Assert.Single(aof.Split("MULTI")[1..]);

        // A file cut after MULTI: the unfinished transaction is dropped as a truncated tail (aof-load-truncated).
        long good = new FileInfo(incr).Length;
        s.Dispose();
        File.AppendAllText(incr, "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$1\r\n1\r\n");
        using var again = CodisServerProcess.StartIn(s.DataDir, "--save", "", "--appendonly", "yes");
        using var r = again.Client();
        Assert.Equal("1", r.Call("GET", "a").Text);
        Assert.Equal("7", r.Call("GET", "n").Text);
        Assert.True(r.Call("GET", "half").IsNull);
        r.Call("SELECT", "2");
        Assert.Equal("2", r.Call("GET", "b").Text);
        Assert.Equal(good, new FileInfo(incr).Length);
    }

    [Fact]
    public void Multi_exec_replicates_as_one_transaction_to_codis_and_redis_replicas()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var codisReplica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var redisReplica = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Client();
        using var rc = codisReplica.Client();
        using var rr = redisReplica.Client();
        foreach (var r in new[] { rc, rr })
            Eventually.True(() => Info(r)["master_link_status"] == "up", Patience, "the replica link");

        m.Call("MULTI");
        m.Call("SET", "t:a", "1");
        m.Call("RPUSH", "t:l", "x", "y");
        m.Call("INCR", "t:a");
        m.Call("SELECT", "4");
        m.Call("SET", "t:db4", "four");
        Assert.Equal(5, m.Call("EXEC").Items!.Length);
        m.Call("SELECT", "0");
        m.Call("SET", "t:after", "done");
        foreach (var r in new[] { rc, rr })
        {
            Eventually.True(() => r.Call("GET", "t:after").Text == "done", Patience, "the stream to arrive");
            Assert.Equal("2", r.Call("GET", "t:a").Text);
            Assert.Equal("x,y", string.Join(",", r.Call("LRANGE", "t:l", "0", "-1").Strings()));
            r.Call("SELECT", "4");
            Assert.Equal("four", r.Call("GET", "t:db4").Text);
            r.Call("SELECT", "0");
        }
        // The replica's own MULTI state is clean: its clients still run transactions.
        rc.Call("MULTI").AssertOk();
        rc.Call("GET", "t:a");
        Assert.Equal("2", rc.Call("EXEC").Items![0].Text);
    }

    private static Dictionary<string, string> Info(RespClient c)
    {
        var d = new Dictionary<string, string>();
        foreach (var line in c.Call("INFO", "replication").Text!.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) d[line[..colon]] = line[(colon + 1)..];
        }
        return d;
    }
}
