using System.IO.Pipelines;
using System.Net.Sockets;

namespace Codis.Server.Networking;

/// <summary>The portable transport: pipes over a NetworkStream (.NET's socket engine and the thread pool).</summary>
internal sealed class StreamTransport : IClientTransport
{
    private readonly Socket socket;
    private readonly NetworkStream stream;

    public StreamTransport(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
    }

    public PipeReader Input { get; }
    public PipeWriter Output { get; }
    public bool SharesThread => false;

    public Task CloseAsync(bool abort)
    {
        try { socket.Shutdown(SocketShutdown.Both); } catch { }
        stream.Dispose();
        return Task.CompletedTask;
    }
}
