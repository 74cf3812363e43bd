using System.Buffers.Binary;
using System.Text;

namespace Codis.Coordinator.ZooKeeper.Jute;

/// <summary>Reads a jute binary archive from one received packet; running short is a protocol error.</summary>
internal ref struct JuteReader(ReadOnlySpan<byte> span)
{
    private readonly ReadOnlySpan<byte> span = span;
    private int position;

    public readonly int Remaining => span.Length - position;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>ustring; length -1 reads as null.</summary>
    public string? ReadString()
    {
        int n = ReadLength();
        return n < 0 ? null : Encoding.UTF8.GetString(Take(n));
    }

    /// <summary>buffer; length -1 reads as an empty array (ZooKeeper nodes do not distinguish null from empty for us).</summary>
    public byte[] ReadBuffer()
    {
        int n = ReadLength();
        return n <= 0 ? [] : Take(n).ToArray();
    }

    public List<string> ReadStringVector()
    {
        int n = ReadLength();
        var list = new List<string>(Math.Max(n, 0));
        for (int i = 0; i < n; i++) list.Add(ReadString() ?? "");
        return list;
    }

    private int ReadLength()
    {
        int n = ReadInt();
        if (n < -1 || n > Remaining) throw new ZkProtocolException($"bad jute length {n} with {Remaining} bytes left");
        return n;
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > Remaining) throw new ZkProtocolException($"packet too short: need {n} bytes, {Remaining} left");
        var s = span.Slice(position, n);
        position += n;
        return s;
    }
}

/// <summary>A packet that does not parse: the connection is dropped and re-established.</summary>
internal sealed class ZkProtocolException(string message) : Exception(message);
