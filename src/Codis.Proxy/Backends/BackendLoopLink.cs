using System.Net.Sockets;
using System.Runtime.InteropServices;
using Codis.Core.Networking.EventLoop;
using Codis.Core.Resp;

namespace Codis.Proxy.Backends;

/// <summary>
/// The socket of one connected generation of a <see cref="BackendConnection"/>, served by an event loop: replies
/// are read and handed to their requests on the loop thread (whose sessions then write them to their clients
/// right there), and sends that met a full socket buffer resume at the next EPOLLOUT edge.
/// </summary>
internal sealed class BackendLoopLink : IEventLoopHandler
{
    private const int InitialBuffer = 64 * 1024;

    private readonly BackendConnection owner;
    private readonly Socket socket;
    private readonly int generation;
    private GCHandle registration;
    private byte[] buffer = new byte[InitialBuffer];
    private int start, end;     // the unparsed bytes (loop thread only)
    private volatile bool closed;

    public BackendLoopLink(BackendConnection owner, Socket socket, int generation, EventLoop loop)
    {
        this.owner = owner;
        this.socket = socket;
        this.generation = generation;
        Loop = loop;
        socket.Blocking = false;
        Fd = socket.Handle;
        registration = loop.Register(Fd, this);
    }

    public EventLoop Loop { get; }

    /// <summary>The socket's descriptor: open until <see cref="Close"/>'s work ran on the loop thread.</summary>
    public nint Fd { get; }

    public void OnEvents(uint events)
    {
        if (closed) return;
        if ((events & (Epoll.In | Epoll.Hup | Epoll.Err | Epoll.RdHup)) != 0)
            OnReadable((events & (Epoll.Hup | Epoll.Err | Epoll.RdHup)) != 0);
        if (!closed && (events & (Epoll.Out | Epoll.Hup | Epoll.Err)) != 0) owner.OnWritable(generation);
    }

    private void OnReadable(bool peerClosed)
    {
        while (!closed)
        {
            if (end == buffer.Length)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                else Array.Resize(ref buffer, buffer.Length * 2); // one reply bigger than the buffer
            }
            int room = buffer.Length - end;
            int n = Epoll.Read(Fd, buffer.AsSpan(end, room));
            if (n == -Epoll.EAGAIN) return; // drained: the next arrival is a new edge
            if (n == -Epoll.EINTR) continue;
            if (n <= 0)
            {
                owner.OnLinkFailure(generation, n == 0 ? "backend conn reset" : $"recv failed: errno {-n}");
                return;
            }
            end += n;
            try
            {
                while (start < end)
                {
                    int len = RespScanner.TryScan(buffer.AsSpan(start, end - start));
                    if (len == 0) break;
                    var reply = Copy(buffer.AsSpan(start, len));
                    start += len;
                    if (!owner.OnReply(generation, reply)) return;
                }
            }
            catch (RespProtocolException e)
            {
                owner.OnLinkFailure(generation, e.Message);
                return;
            }
            if (start == end)
            {
                start = end = 0;
                if (buffer.Length > 4 * InitialBuffer) buffer = new byte[InitialBuffer]; // after a big reply
            }
            // A short read emptied the socket buffer (unless the peer closed: read on to the end of the stream).
            if (n < room && !peerClosed) return;
        }
    }

    private static readonly byte[] Ok = "+OK\r\n"u8.ToArray();
    private static readonly byte[] Zero = ":0\r\n"u8.ToArray();
    private static readonly byte[] One = ":1\r\n"u8.ToArray();
    private static readonly byte[] Nil = "$-1\r\n"u8.ToArray();

    /// <summary>The reply's bytes; the most common ones are shared (replies are never modified), saving a copy each.</summary>
    private static byte[] Copy(ReadOnlySpan<byte> reply)
    {
        switch (reply.Length)
        {
            case 4 when reply.SequenceEqual(Zero): return Zero;
            case 4 when reply.SequenceEqual(One): return One;
            case 5 when reply.SequenceEqual(Ok): return Ok;
            case 5 when reply.SequenceEqual(Nil): return Nil;
        }
        return reply.ToArray();
    }

    /// <summary>Stops handling events now, and leaves epoll and closes the socket on the loop thread.</summary>
    public void Close()
    {
        if (closed) return;
        closed = true;
        Loop.Post(() =>
        {
            Loop.Unregister(Fd);
            if (registration.IsAllocated) registration.Free();
            try { socket.Shutdown(SocketShutdown.Both); } catch { }
            socket.Dispose();
        });
    }
}
