using Codis.Core.Resp;
using Codis.Server.Commands;

namespace Codis.Server.Networking.Blocking;

/// <summary>
/// Serves a blocked command for a key that became ready: runs with a context whose reply goes to the blocked
/// client, pops/moves and replies, and returns true; returns false (replying nothing) when the key still has
/// nothing for it (empty, missing, or now holding another type), so the client keeps waiting.
/// </summary>
internal delegate bool BlockedServe(CommandContext ctx, byte[] key);

/// <summary>
/// A client waiting in BLPOP/BRPOP/BLMOVE/BRPOPLPUSH/BZPOPMIN/BZPOPMAX: on which keys of which database, until
/// when, and how to finish the command. Its connection parks on <see cref="Done"/>, which completes (under the
/// keyspace lock) with the reply bytes: the served reply, or the timeout reply.
/// </summary>
internal sealed class BlockedClient
{
    public required ClientSession Session { get; init; }
    public required int DbIndex { get; init; }
    public required byte[][] Keys { get; init; }

    /// <summary>An owned copy of the request (the receive buffer it came in is released while the client waits).</summary>
    public required RespRequest Request { get; init; }

    public required CommandSpec Command { get; init; }
    public required BlockedServe Serve { get; init; }

    /// <summary>Unix ms after which the client gets <see cref="TimeoutReply"/>; <see cref="long.MaxValue"/> = never.</summary>
    public required long Deadline { get; init; }

    public required byte[] TimeoutReply { get; init; }

    /// <summary>
    /// Stream readers: when this client has nothing to take from a written key, the clients behind it are still
    /// tried (each waits for entries after its own ID), unlike pops where the longest waiter goes first.
    /// </summary>
    public bool ServeEach { get; init; }

    public TaskCompletionSource<byte[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal List<(BlockingRegistry.WaitKey Key, LinkedListNode<BlockedClient> Node)> Nodes { get; } = new();
}
