using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Codis.Core.Resp;

namespace Codis.Fault.Tests.Support;

/// <summary>One acknowledged write: the sequence number written (values only grow per key) and when the OK came back.</summary>
public readonly record struct Ack(long Seq, TimeSpan At);

/// <summary>A key whose last acknowledged write is not readable: what was acknowledged and what a read returned.</summary>
public readonly record struct LostWrite(string Key, Ack Acked, string? Read);

/// <summary>
/// The record of every acknowledged write: key → the last value the cluster said OK to. Values are decimal
/// sequence numbers that only grow per key, so "this value or a newer one" is a number comparison (a write
/// that failed or timed out may still have landed, which is why newer is allowed).
/// </summary>
public sealed class AckRecorder
{
    private readonly ConcurrentDictionary<string, Ack> acked = new(StringComparer.Ordinal);

    public AckRecorder(Stopwatch clock) => Clock = clock;

    /// <summary>The time base of <see cref="Ack.At"/> (shared with the load and the test's own marks).</summary>
    public Stopwatch Clock { get; }

    public int Count => acked.Count;

    public void Record(string key, long seq)
    {
        var ack = new Ack(seq, Clock.Elapsed);
        acked.AddOrUpdate(key, ack, (_, old) => old.Seq >= seq ? old : ack);
    }

    /// <summary>Reads every recorded key (pipelined, in batches) and returns those not at their acknowledged value or newer.</summary>
    public List<LostWrite> Verify(Func<RespClient> connect, int batch = 200)
    {
        var lost = new List<LostWrite>();
        var keys = acked.ToArray();
        using var c = connect();
        for (int i = 0; i < keys.Length; i += batch)
        {
            int n = Math.Min(batch, keys.Length - i);
            for (int j = 0; j < n; j++) c.Send([System.Text.Encoding.UTF8.GetBytes("GET"), System.Text.Encoding.UTF8.GetBytes(keys[i + j].Key)]);
            c.Flush();
            for (int j = 0; j < n; j++)
            {
                var (key, ack) = keys[i + j];
                var r = c.Read();
                string? text = r.IsError ? "error: " + r.Text : r.Text;
                if (r.IsError || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seq) || seq < ack.Seq)
                    lost.Add(new LostWrite(key, ack, text));
            }
        }
        return Reread(c, lost);
    }

    /// <summary>
    /// A read that failed (a backend the proxy is still reconnecting to, with its back-off of up to 5 s) is not a
    /// lost write: such keys are read again for up to 10 s; a wrong value stays lost at once.
    /// </summary>
    private static List<LostWrite> Reread(RespClient c, List<LostWrite> lost)
    {
        for (int round = 0; round < 20 && lost.Any(l => l.Read?.StartsWith("error: ", StringComparison.Ordinal) == true); round++)
        {
            Thread.Sleep(500);
            lost = lost.Select(l =>
            {
                if (l.Read?.StartsWith("error: ", StringComparison.Ordinal) != true) return l;
                var r = c.Call("GET", l.Key);
                string? text = r.IsError ? "error: " + r.Text : r.Text;
                bool ok = !r.IsError && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seq) && seq >= l.Acked.Seq;
                return ok ? (LostWrite?)null : l with { Read = text };
            }).Where(l => l != null).Select(l => l!.Value).ToList();
        }
        return lost;
    }
}
