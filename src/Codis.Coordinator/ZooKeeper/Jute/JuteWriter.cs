using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Codis.Coordinator.ZooKeeper.Jute;

/// <summary>
/// Writes ZooKeeper's jute binary archive (big-endian, no tags, no padding) into a pooled, growable buffer.
/// A packet is one length-prefixed frame: <see cref="BeginFrame"/> reserves the length, <see cref="EndFrame"/> patches it.
/// </summary>
internal sealed class JuteWriter : IDisposable
{
    private byte[] buffer;
    private int position;

    public JuteWriter(int capacity = 256) => buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int Length => position;
    public ReadOnlySpan<byte> WrittenSpan => buffer.AsSpan(0, position);
    public ReadOnlyMemory<byte> WrittenMemory => buffer.AsMemory(0, position);

    /// <summary>Reserves the 4-byte frame length; returns where it is, for <see cref="EndFrame"/>.</summary>
    public int BeginFrame()
    {
        int at = position;
        WriteInt(0);
        return at;
    }

    public void EndFrame(int at) => BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), position - at - 4);

    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void WriteLong(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    public void WriteBool(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>ustring: length + UTF-8 bytes; null is length -1.</summary>
    public void WriteString(string? value)
    {
        if (value == null)
        {
            WriteInt(-1);
            return;
        }
        int n = Encoding.UTF8.GetByteCount(value);
        WriteInt(n);
        Encoding.UTF8.GetBytes(value, Reserve(n));
    }

    /// <summary>buffer: length + bytes (an empty span is length 0, not null).</summary>
    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    public void WriteNullBuffer() => WriteInt(-1);

    public void WriteStringVector(IReadOnlyCollection<string> values)
    {
        WriteInt(values.Count);
        foreach (var v in values) WriteString(v);
    }

    private Span<byte> Reserve(int n)
    {
        if (position + n > buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, position + n));
            buffer.AsSpan(0, position).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = bigger;
        }
        var span = buffer.AsSpan(position, n);
        position += n;
        return span;
    }

    public void Dispose()
    {
        var b = buffer;
        buffer = [];
        position = 0;
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
