namespace Codis.Core.Resp;

/// <summary>
/// The framing of replies for the blocking internal clients (<see cref="RespClient"/>, the server's migration
/// links): a growable buffer that returns one whole reply at a time, pulling bytes from a receive function.
/// </summary>
public sealed class RespReplyReader(int initialSize = 4096)
{
    private byte[] buffer = new byte[initialSize];
    private int start, end;

    /// <summary>
    /// Reads one reply; <paramref name="receive"/>(buffer, offset, count) returns the bytes it read, 0 when the peer
    /// closed (then <see cref="IOException"/> with <paramref name="closedMessage"/>); its own exceptions pass through.
    /// </summary>
    public RespValue Read(Func<byte[], int, int, int> receive, string closedMessage = "connection closed by peer")
    {
        while (true)
        {
            if (end > start && RespValue.TryParse(buffer.AsSpan(start, end - start), out var value, out int used))
            {
                start += used;
                return value;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int n = receive(buffer, end, buffer.Length - end);
            if (n == 0) throw new IOException(closedMessage);
            end += n;
        }
    }

    /// <summary>Hands out the bytes received but not yet returned as a reply, and forgets them (raw-byte reads).</summary>
    public byte[] TakeBuffered()
    {
        var rest = buffer.AsSpan(start, end - start).ToArray();
        start = end = 0;
        return rest;
    }
}
