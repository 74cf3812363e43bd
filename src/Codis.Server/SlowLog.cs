using Codis.Core.Resp;
using Codis.Server.Networking;

namespace Codis.Server;

/// <summary>SLOWLOG: the most recent commands slower than slowlog-log-slower-than.</summary>
internal sealed class SlowLog
{
    public sealed record Entry(long Id, long UnixSeconds, long Micros, byte[][] Args, string Client, string ClientName);

    private readonly LinkedList<Entry> entries = new();
    private long nextId;

    public IEnumerable<Entry> Entries => entries;
    public int Count => entries.Count;

    public void Add(RespRequest request, long micros, ClientSession client, int maxLen)
    {
        if (maxLen <= 0) return;
        // Same caps as Redis: at most 32 arguments, each at most 128 bytes.
        int n = Math.Min(request.Count, 32);
        var args = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            if (i == 31 && request.Count > 32)
            {
                args[i] = System.Text.Encoding.ASCII.GetBytes($"... ({request.Count - 31} more arguments)");
                break;
            }
            var a = request[i];
            args[i] = a.Length > 128
                ? [.. a[..128], .. System.Text.Encoding.ASCII.GetBytes($"... ({a.Length - 128} more bytes)")]
                : a.ToArray();
        }
        entries.AddFirst(new Entry(nextId++, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), micros, args, client.Remote, client.Name ?? ""));
        while (entries.Count > maxLen) entries.RemoveLast();
    }

    public void Reset() => entries.Clear();
}
