using System.IO.Pipelines;
using System.Net.Sockets;
using Codis.Core.Networking.EventLoop;

namespace Codis.Server.Networking.EventLoop;

/// <summary>A client served by one of the shared event loops (event-loop yes): its commands run on the loop thread.</summary>
internal sealed class LoopClientTransport(Core.Networking.EventLoop.EventLoop loop, Socket socket) : IClientTransport
{
    private readonly LoopSocket inner = new(loop, socket);

    public PipeReader Input => inner.Input;
    public PipeWriter Output => inner.Output;
    public bool SharesThread => true;
    public Task CloseAsync(bool abort) => inner.CloseAsync(abort);
}
