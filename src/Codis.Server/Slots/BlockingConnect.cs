using System.Net;
using System.Net.Sockets;

namespace Codis.Server.Slots;

/// <summary>
/// Connects a socket on the calling thread, waiting at most a timeout. Migration connects while it holds the
/// keyspace lock, when every other thread-pool thread may be waiting for that lock: an async connect awaited with
/// Wait() could then starve (its completion needs a pool thread), so this one never leaves the calling thread.
/// </summary>
internal static class BlockingConnect
{
    public static Socket Connect(string host, int port, int timeoutMs)
    {
        var addresses = IPAddress.TryParse(host, out var ip) ? [ip] : Dns.GetHostAddresses(host);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Blocking = false;
            try
            {
                socket.Connect(new IPEndPoint(address, port));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                int micros = (int)Math.Min(int.MaxValue, Math.Max(1, timeoutMs) * 1000L);
                if (!socket.Poll(micros, SelectMode.SelectWrite))
                    throw new TimeoutException($"no connection within {timeoutMs} ms");
                var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != SocketError.Success) throw new SocketException((int)error);
            }
            socket.Blocking = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
