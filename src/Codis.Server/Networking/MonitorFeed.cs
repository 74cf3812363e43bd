using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Codis.Core.Resp;

namespace Codis.Server.Networking;

/// <summary>
/// MONITOR: every command that ran (except admin ones, as in Redis) is sent to the monitoring connections as
/// <c>+1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v"</c>. Lines are formatted once under the keyspace lock
/// and queued per monitor; each monitor's connection writes its own queue, so no two threads share a writer.
/// A monitor that cannot keep up (queue full) is disconnected, like Redis's output buffer limit does.
/// </summary>
internal sealed class MonitorFeed
{
    private const int MaxQueuedLines = 100_000;
    private readonly List<(ClientSession Session, Channel<byte[]> Lines)> monitors = new(); // under the keyspace lock

    public bool Active => monitors.Count > 0;

    /// <summary>Registers a monitor (under the keyspace lock); its connection drains the returned queue.</summary>
    public Channel<byte[]> Add(ClientSession session)
    {
        var lines = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(MaxQueuedLines) { SingleReader = true, SingleWriter = true });
        monitors.Add((session, lines));
        return lines;
    }

    /// <summary>Unregisters a monitor (under the keyspace lock).</summary>
    public void Remove(ClientSession session) => monitors.RemoveAll(m => m.Session == session);

    /// <summary>Queues the line for one executed command (under the keyspace lock).</summary>
    public void Feed(ClientSession client, RespRequest request, long unixMicros)
    {
        var line = Format(client, request, unixMicros);
        foreach (var (session, lines) in monitors)
            if (!lines.Writer.TryWrite(line)) session.Kill();
    }

    internal static byte[] Format(ClientSession client, RespRequest request, long unixMicros)
    {
        var sb = new StringBuilder(64);
        sb.Append('+').Append((unixMicros / 1_000_000).ToString(CultureInfo.InvariantCulture)).Append('.')
          .Append((unixMicros % 1_000_000).ToString("D6", CultureInfo.InvariantCulture))
          .Append(" [").Append(client.DbIndex.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(client.Remote).Append(']');
        string name = Encoding.ASCII.GetString(request[0]).ToLowerInvariant();
        for (int i = 0; i < request.Count; i++)
        {
            sb.Append(' ');
            // Passwords never reach a monitor (Redis shows them as "(redacted)").
            if (i > 0 && (name == "auth" || (name == "hello" && IsHelloSecret(request, i)))) sb.Append("\"(redacted)\"");
            else AppendRepr(sb, request[i]);
        }
        sb.Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static bool IsHelloSecret(RespRequest request, int i) =>
        i >= 2 && Ascii.EqualsIgnoreCase(request[i - 1], "auth"u8) ||
        i >= 3 && Ascii.EqualsIgnoreCase(request[i - 2], "auth"u8);

    /// <summary>Redis's sdscatrepr: a double-quoted string with C escapes and \xHH for other bytes.</summary>
    internal static void AppendRepr(StringBuilder sb, ReadOnlySpan<byte> s)
    {
        sb.Append('"');
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case 7: sb.Append("\\a"); break;
                case 8: sb.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127) sb.Append((char)b);
                    else sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    break;
            }
        }
        sb.Append('"');
    }
}
