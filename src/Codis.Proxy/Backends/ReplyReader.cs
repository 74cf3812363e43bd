using System.IO.Pipelines;
using System.Net.Sockets;
using Codis.Core.Resp;

namespace Codis.Proxy.Backends;

/// <summary>
/// The read loop of a proxy's backend socket on .NET's socket engine (pipelined, pinned and subscriber links):
/// frames whole replies and hands each to the link until the socket ends.
/// </summary>
internal static class ReplyReader
{
    /// <summary>
    /// Calls <paramref name="onReply"/> for each reply (false: stop reading, quietly) until the socket closes or
    /// fails. Returns why it ended (<paramref name="closedReason"/> when the backend closed it), or null when
    /// <paramref name="onReply"/> stopped it. What <paramref name="onReply"/> throws as a protocol or I/O error ends
    /// the loop with that error's message.
    /// </summary>
    public static async Task<string?> RunAsync(Socket socket, int bufferSize, int minimumReadSize, Func<byte[], bool> onReply, string closedReason)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: minimumReadSize, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (RespScanner.TakeReply(ref buffer) is { } reply)
                    if (!onReply(reply)) return null;
                reader.AdvanceTo(buffer.Start, result.Buffer.End);
                if (result.IsCompleted) return closedReason;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or RespProtocolException)
        {
            return e.Message;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            stream.Dispose();
        }
    }
}
