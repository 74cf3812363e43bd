namespace Codis.Server.Slots;

/// <summary>
/// A big value on its way to the target as several messages encoded on demand, from a snapshot taken when the batch
/// started (<see cref="ChunkedValue"/> for lists, sets, hashes and sorted sets, <see cref="ChunkedStream"/> for
/// streams). The last message is always <c>SLOTSRESTORE-ASYNC expire key ttl</c> with the real TTL.
/// </summary>
internal interface IChunkedMessages
{
    byte[] Key { get; }

    /// <summary>
    /// The next message, of at most about <paramref name="maxBulks"/> items and <paramref name="maxBytes"/> (each chunk
    /// carries the temporary TTL <paramref name="chunkTtl"/>); null once everything, the expire message included, is sent.
    /// </summary>
    byte[]? Next(long maxBulks, long maxBytes, long chunkTtl, long now);
}
