using System.Diagnostics;
using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Replication;

/// <summary>
/// min-replicas-to-write with min-replicas-max-lag, judged against a replica played by the test over one connection
/// (REPLCONF, PSYNC, then REPLCONF ACK with offsets the test chooses), so the ACKs' timing and offsets are exact.
/// </summary>
public class MinReplicasTests
{
    [Fact]
    public void MinReplicas_ReplicaSilentThenStaleAck_StaysRefusedUntilItAcknowledgesRecentData()
    {
        using var master = CodisServerProcess.Start("--save", "", "--min-replicas-to-write", "1", "--min-replicas-max-lag", "1");
        using var m = master.Client();
        Assert.StartsWith("NOREPLICAS", m.Call("SET", "k", "0").Text);

        // the replica: a bare socket (what it reads after the handshake is never looked at)
        using var replica = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        replica.Connect("127.0.0.1", master.Port);
        replica.ReceiveTimeout = 5000;
        void Send(params string[] args)
        {
            var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
            foreach (var a in args) sb.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
            replica.Send(Encoding.ASCII.GetBytes(sb.ToString()));
        }
        string ReadLine()
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (replica.Receive(one) == 1 && one[0] != '\n') if (one[0] != '\r') line.Append((char)one[0]);
            return line.ToString();
        }
        Send("REPLCONF", "listening-port", "7777");
        Assert.Equal("+OK", ReadLine());
        Send("PSYNC", "?", "-1");
        var full = ReadLine();
        Assert.StartsWith("+FULLRESYNC", full);
        long synced = long.Parse(full.Split(' ')[2], CultureInfo.InvariantCulture);
        void Ack(long offset) => Send("REPLCONF", "ACK", offset.ToString(CultureInfo.InvariantCulture));

        Ack(synced);
        Eventually.True(() => m.Call("SET", "k", "1").Text == "OK", TimeSpan.FromSeconds(5), "a write with a current replica");
        var sinceWrite = Stopwatch.StartNew();
        long afterWrite = long.Parse(Info(m)["master_repl_offset"], CultureInfo.InvariantCulture);
        Assert.True(afterWrite > synced);

        // silent for longer than max-lag: refused
        Eventually.True(() => m.Call("SET", "k", "2").Text?.StartsWith("NOREPLICAS") == true, TimeSpan.FromSeconds(5), "refused once the replica is silent");
        // the master samples its offset once a second: 3.5 s on, what it had max-lag + 1 s ago includes the write
        var rest = TimeSpan.FromSeconds(3.5) - sinceWrite.Elapsed;
        if (rest > TimeSpan.Zero) Thread.Sleep(rest);

        // an ACK that arrives now but carries the offset from before the write (queued while the link was cut) is stale
        Ack(synced);
        Thread.Sleep(100);
        Assert.StartsWith("NOREPLICAS", m.Call("SET", "k", "3").Text);
        Assert.Equal("0", Info(m)["min_slaves_good_slaves"]);

        // one that confirms what the master has now (the write, and the GETACKs it sent while refusing) counts again
        Ack(long.Parse(Info(m)["master_repl_offset"], CultureInfo.InvariantCulture));
        Assert.Equal("OK", m.Call("SET", "k", "4").Text);
        Assert.Equal("1", Info(m)["min_slaves_good_slaves"]);
    }

    private static Dictionary<string, string> Info(RespClient c) => Codis.Server.Tests.Replicas.ReplicationTests.Info(c, "replication");
}
