using System.IO.Pipelines;

namespace Codis.Server.Networking;

/// <summary>How a client connection's bytes come and go: the pipes it reads requests from and writes replies to.</summary>
internal interface IClientTransport
{
    PipeReader Input { get; }
    PipeWriter Output { get; }

    /// <summary>
    /// Whether the connection's code runs on an event-loop thread shared with other clients (continuations of
    /// <see cref="Input"/> run inline there): anything that waits synchronously must move to the thread pool first.
    /// </summary>
    bool SharesThread { get; }

    /// <summary>
    /// Closes the socket after what was flushed has been sent (<paramref name="abort"/>: at once). The caller has
    /// completed <see cref="Input"/> and <see cref="Output"/>.
    /// </summary>
    Task CloseAsync(bool abort);
}
