using System.Buffers;

namespace Codis.Core.Networking.EventLoop;

/// <summary>
/// The pipe buffers of one event loop's connections. A request rents and returns an input and an output block,
/// nearly always on the loop thread; a plain lock-protected stack does that for less than the shared ArrayPool,
/// whose per-thread slot holds a single block per size (the second rent of a request went to its per-core stacks).
/// Bigger requests than a block go to the shared ArrayPool. The loop's own thread keeps a stack of its own, with no
/// lock at all; blocks returned from other threads go to the locked one, where the loop finds them when its own is empty.
/// </summary>
public sealed class BlockPool : MemoryPool<byte>
{
    public const int BlockSize = 16 * 1024;
    private const int MaxKept = 256; // 4 MB per loop at most stays cached

    private readonly Lock gate = new();
    private readonly Stack<Block> free = new();
    private readonly Stack<Block> local = new(); // the owner thread's only
    private int ownerThreadId = -1;

    /// <summary>Makes the calling thread (the loop's) the one whose rents and returns take no lock.</summary>
    public void BindToCurrentThread() => ownerThreadId = Environment.CurrentManagedThreadId;

    public override int MaxBufferSize => int.MaxValue;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize) return new Large(minBufferSize);
        if (Environment.CurrentManagedThreadId == ownerThreadId && local.TryPop(out var mine)) return mine;
        lock (gate)
        {
            if (free.TryPop(out var block)) return block;
        }
        return new Block(this);
    }

    private void Return(Block block)
    {
        if (Environment.CurrentManagedThreadId == ownerThreadId)
        {
            if (local.Count < MaxKept) local.Push(block);
            return;
        }
        lock (gate)
        {
            if (free.Count < MaxKept) free.Push(block);
        }
    }

    private readonly Stack<byte[]> freeArrays = new();
    private readonly Stack<byte[]> localArrays = new(); // the owner thread's only

    /// <summary>A bare block (LoopSocket's buffers, which hold it only while bytes wait in it).</summary>
    public byte[] RentArray()
    {
        if (Environment.CurrentManagedThreadId == ownerThreadId && localArrays.TryPop(out var mine)) return mine;
        lock (gate)
        {
            if (freeArrays.TryPop(out var array)) return array;
        }
        return GC.AllocateUninitializedArray<byte>(BlockSize);
    }

    /// <summary>Gives back a block from <see cref="RentArray"/>; nothing may use it afterwards.</summary>
    public void ReturnArray(byte[] array)
    {
        if (array.Length != BlockSize) return;
        if (Environment.CurrentManagedThreadId == ownerThreadId)
        {
            if (localArrays.Count < MaxKept) localArrays.Push(array);
            return;
        }
        lock (gate)
        {
            if (freeArrays.Count < MaxKept) freeArrays.Push(array);
        }
    }

    protected override void Dispose(bool disposing) { }

    private sealed class Block(BlockPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] array = GC.AllocateUninitializedArray<byte>(BlockSize);
        public Memory<byte> Memory => array;
        public void Dispose() => pool.Return(this);
    }

    private sealed class Large(int size) : IMemoryOwner<byte>
    {
        private byte[]? array = ArrayPool<byte>.Shared.Rent(size);
        public Memory<byte> Memory => array ?? throw new ObjectDisposedException(nameof(Large));

        public void Dispose()
        {
            var a = Interlocked.Exchange(ref array, null);
            if (a != null) ArrayPool<byte>.Shared.Return(a);
        }
    }
}
