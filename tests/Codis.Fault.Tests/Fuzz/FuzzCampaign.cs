using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Codis.Fault.Tests.Fuzz;

/// <summary>
/// Runs the fuzzer against one address for a bounded time: a few workers that each connect, send one case (or
/// half of it and vanish), drain what comes back for a moment and close; plus slow-loris clients that send a
/// valid request a byte per 100 ms and must still get the right answer. Keeps the last cases of each worker so
/// a failure can show (and a seed can replay) what was sent.
/// </summary>
public sealed class FuzzCampaign(string host, int port, int seed, IReadOnlyList<string> commands)
{
    private const int Workers = 3;
    private const int SlowLorisClients = 2;
    private readonly Queue<string>[] recent = Enumerable.Range(0, Workers).Select(_ => new Queue<string>()).ToArray();
    private long inputs, bytesSent, slowLorisServed, connectFailures;
    private readonly List<string> slowLorisFailures = [];

    public long Inputs => Interlocked.Read(ref inputs);
    public long BytesSent => Interlocked.Read(ref bytesSent);
    public long SlowLorisServed => Interlocked.Read(ref slowLorisServed);
    public long ConnectFailures => Interlocked.Read(ref connectFailures);
    public IReadOnlyList<string> SlowLorisFailures { get { lock (slowLorisFailures) return slowLorisFailures.ToList(); } }
    public Dictionary<FuzzKind, long> PerKind { get; } = Enum.GetValues<FuzzKind>().ToDictionary(k => k, _ => 0L);

    public async Task RunAsync(TimeSpan duration, Func<bool> targetAlive)
    {
        using var cts = new CancellationTokenSource(duration);
        var tasks = Enumerable.Range(0, Workers).Select(w => Task.Factory.StartNew(() => Worker(w, cts.Token, targetAlive), TaskCreationOptions.LongRunning))
            .Concat(Enumerable.Range(0, SlowLorisClients).Select(_ => Task.Run(() => SlowLorisAsync(cts.Token))));
        await Task.WhenAll(tasks);
    }

    /// <summary>The last cases each worker sent, oldest first.</summary>
    public string RecentCases()
    {
        var sb = new StringBuilder();
        for (int w = 0; w < Workers; w++)
        {
            sb.Append("worker ").Append(w).Append(" (seed ").Append(WorkerSeed(w)).AppendLine("):");
            lock (recent[w]) foreach (var c in recent[w]) sb.Append("  ").AppendLine(c);
        }
        return sb.ToString();
    }

    private int WorkerSeed(int w) => unchecked(seed * 31 + w);

    private void Worker(int w, CancellationToken stop, Func<bool> targetAlive)
    {
        var fuzzer = new RespFuzzer(WorkerSeed(w), commands);
        var buffer = new byte[64 * 1024];
        for (long n = 0; !stop.IsCancellationRequested && targetAlive(); n++)
        {
            var fc = fuzzer.Next();
            lock (recent[w])
            {
                recent[w].Enqueue($"#{n} {fc}");
                if (recent[w].Count > 20) recent[w].Dequeue();
            }
            lock (PerKind) PerKind[fc.Kind] += fc.Requests;
            Interlocked.Add(ref inputs, fc.Requests);
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = 2000, ReceiveTimeout = 60 };
                s.Connect(host, port);
                int len = fc.VanishHalfway ? Math.Max(1, fc.Bytes.Length / 2) : fc.Bytes.Length;
                s.Send(fc.Bytes, 0, len, SocketFlags.None);
                Interlocked.Add(ref bytesSent, len);
                if (fc.VanishHalfway)
                {
                    s.LingerState = new LingerOption(true, 0); // vanish: RST, no goodbye
                    continue;
                }
                // drain answers for a moment (a blocked command, or a server waiting for the rest, just times out)
                var sw = Stopwatch.StartNew();
                while (sw.ElapsedMilliseconds < 250 && s.Receive(buffer) > 0) { }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.TryAgain)
            {
                Interlocked.Increment(ref connectFailures);
                Thread.Sleep(50);
            }
            catch (SocketException) { } // reset, timed out: the server dropped a bad client, as it may
        }
    }

    /// <summary>A valid SET sent a byte every 100 ms: the answer must still be +OK.</summary>
    private async Task SlowLorisAsync(CancellationToken stop)
    {
        var request = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$7\r\nfz:slow\r\n$2\r\nok\r\n");
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await s.ConnectAsync(host, port);
                foreach (var b in request)
                {
                    await s.SendAsync(new[] { b });
                    await Task.Delay(100);
                }
                var reply = new byte[16];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                int got = 0;
                while (got < 5) got += await s.ReceiveAsync(reply.AsMemory(got), timeout.Token) is var k && k > 0 ? k : throw new IOException("closed");
                var text = Encoding.ASCII.GetString(reply, 0, got);
                if (text == "+OK\r\n") Interlocked.Increment(ref slowLorisServed);
                else lock (slowLorisFailures) slowLorisFailures.Add($"slow-loris SET answered {text}");
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                lock (slowLorisFailures) slowLorisFailures.Add("slow-loris: " + e.Message);
            }
        }
    }
}
