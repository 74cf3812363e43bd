using System.Net;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Resp;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// A scripted migration target: accepts the source's link, records every message it receives and acknowledges
/// them only when the test says so, so that a test can act while a batch is in flight.
/// </summary>
public sealed class FakeTarget : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private Socket? link;
    private byte[] buffer = new byte[64 * 1024];
    private int start, end;

    public FakeTarget()
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    /// <summary>Every message received so far, as text arguments.</summary>
    public List<string[]> Received { get; } = new();

    /// <summary>Waits until at least <paramref name="count"/> messages arrived in total.</summary>
    public void WaitFor(int count, int timeoutMs = 10000)
    {
        link ??= Accept(timeoutMs);
        link.ReceiveTimeout = timeoutMs;
        while (Received.Count < count)
        {
            while (end > start && RespValue.TryParse(buffer.AsSpan(start, end - start), out var v, out int used))
            {
                start += used;
                Received.Add(v.Items!.Select(i => Encoding.UTF8.GetString(i.Bytes!)).ToArray());
            }
            if (Received.Count >= count) break;
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int n = link.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            if (n == 0) throw new IOException("the source closed the link");
            end += n;
        }
    }

    private Socket Accept(int timeoutMs)
    {
        var accept = listener.AcceptSocketAsync();
        if (!accept.Wait(timeoutMs)) throw new TimeoutException("the source did not connect");
        return accept.Result;
    }

    /// <summary>Forgets the current link (the source opens a new one after a failure).</summary>
    public void ResetLink()
    {
        link?.Dispose();
        link = null;
        start = end = 0;
    }

    /// <summary>Sends <paramref name="count"/> acknowledgements with the given errno and message.</summary>
    public void Ack(int count, int errno = 0, string message = "1")
    {
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
            sb.Append($"*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n${errno.ToString().Length}\r\n{errno}\r\n${message.Length}\r\n{message}\r\n");
        link!.Send(Encoding.ASCII.GetBytes(sb.ToString()));
    }

    /// <summary>Sends raw bytes on the link (replies that are not acknowledgements).</summary>
    public void SendRaw(string text) => link!.Send(Encoding.ASCII.GetBytes(text));

    public void Dispose()
    {
        link?.Dispose();
        listener.Stop();
    }
}
