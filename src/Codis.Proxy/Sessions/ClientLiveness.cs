using System.Net.Sockets;

namespace Codis.Proxy.Sessions;

/// <summary>
/// Whether the client of a session is still there while the session does not read from it (it waits for a
/// blocked command's reply). On Linux the TCP state says so even when unread requests are buffered (the peer's
/// FIN puts the socket in CLOSE_WAIT); elsewhere a readable socket with nothing to read means end of stream.
/// </summary>
internal static class ClientLiveness
{
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const byte TcpEstablished = 1;

    public static bool IsGone(Socket socket)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                Span<byte> info = stackalloc byte[8];
                int n = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
                if (n > 0) return info[0] != TcpEstablished; // tcpi_state
            }
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }
}
