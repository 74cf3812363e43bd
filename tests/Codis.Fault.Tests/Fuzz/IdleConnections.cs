using System.Net.Sockets;

namespace Codis.Fault.Tests.Fuzz;

/// <summary>Many TCP connections opened to one address and held without a byte sent; closed on Dispose.</summary>
public sealed class IdleConnections : IDisposable
{
    private readonly List<Socket> sockets = [];

    public int Count => sockets.Count;
    public int Refused { get; private set; }

    public static async Task<IdleConnections> OpenAsync(string host, int port, int count)
    {
        var idle = new IdleConnections();
        for (int done = 0; done < count;)
        {
            int batch = Math.Min(250, count - done);
            var tasks = Enumerable.Range(0, batch).Select(async _ =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await s.ConnectAsync(host, port).WaitAsync(TimeSpan.FromSeconds(10));
                    return s;
                }
                catch (Exception e) when (e is SocketException or TimeoutException)
                {
                    s.Dispose();
                    return null;
                }
            }).ToList();
            foreach (var s in await Task.WhenAll(tasks))
                if (s != null) idle.sockets.Add(s);
                else idle.Refused++;
            done += batch;
        }
        return idle;
    }

    /// <summary>Connections the peer has closed (readable with 0 bytes, or errored).</summary>
    public int ClosedByPeer()
    {
        int closed = 0;
        foreach (var s in sockets)
        {
            try
            {
                if (s.Poll(0, SelectMode.SelectRead) && s.Available == 0) closed++;
            }
            catch (SocketException) { closed++; }
            catch (ObjectDisposedException) { closed++; }
        }
        return closed;
    }

    public void Dispose()
    {
        foreach (var s in sockets) s.Dispose();
        sockets.Clear();
    }
}
