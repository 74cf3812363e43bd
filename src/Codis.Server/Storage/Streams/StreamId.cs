using System.Buffers.Text;

namespace Codis.Server.Storage.Streams;

/// <summary>A stream entry ID: milliseconds and sequence (128 bits), ordered as Redis orders them.</summary>
internal readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Min = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    public bool IsZero => Ms == 0 && Seq == 0;

    /// <summary>The next ID (streamIncrID); false at the very last one.</summary>
    public bool TryNext(out StreamId next)
    {
        if (Seq != ulong.MaxValue) next = new(Ms, Seq + 1);
        else if (Ms != ulong.MaxValue) next = new(Ms + 1, 0);
        else
        {
            next = this;
            return false;
        }
        return true;
    }

    /// <summary>The previous ID (streamDecrID); false at 0-0.</summary>
    public bool TryPrevious(out StreamId previous)
    {
        if (Seq != 0) previous = new(Ms, Seq - 1);
        else if (Ms != 0) previous = new(Ms - 1, ulong.MaxValue);
        else
        {
            previous = this;
            return false;
        }
        return true;
    }

    /// <summary>"ms-seq" as ASCII bytes, as replies and propagated commands carry it.</summary>
    public byte[] ToBytes()
    {
        Span<byte> buf = stackalloc byte[41];
        int n = Format(buf);
        return buf[..n].ToArray();
    }

    public int Format(Span<byte> dest)
    {
        Utf8Formatter.TryFormat(Ms, dest, out int a);
        dest[a] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, dest[(a + 1)..], out int b);
        return a + 1 + b;
    }

    public override string ToString() => $"{Ms}-{Seq}";

    /// <summary>
    /// Redis's streamGenericParseIDOrReply without the "-"/"+" shortcuts: "ms" (seq = <paramref name="missingSeq"/>),
    /// "ms-seq", and with <paramref name="allowSeqStar"/> "ms-*" (<paramref name="seqGiven"/> false). Numbers are
    /// unsigned 64-bit decimals.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, ulong missingSeq, bool allowSeqStar, out StreamId id, out bool seqGiven)
    {
        id = default;
        seqGiven = true;
        if (text.Length > 127) return false;
        int dash = text.IndexOf((byte)'-');
        var msPart = dash < 0 ? text : text[..dash];
        if (!TryParseU64(msPart, out ulong ms)) return false;
        ulong seq = missingSeq;
        if (dash >= 0)
        {
            var seqPart = text[(dash + 1)..];
            if (allowSeqStar && seqPart.Length == 1 && seqPart[0] == (byte)'*')
            {
                seq = 0;
                seqGiven = false;
            }
            else if (!TryParseU64(seqPart, out seq)) return false;
        }
        id = new StreamId(ms, seq);
        return true;
    }

    /// <summary>string2ull: decimal digits (an optional '+'), up to 2^64−1.</summary>
    private static bool TryParseU64(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.Length > 0 && s[0] == (byte)'+') s = s[1..];
        if (s.IsEmpty) return false;
        foreach (byte b in s)
        {
            if (b < (byte)'0' || b > (byte)'9') return false;
            ulong d = (ulong)(b - '0');
            if (value > (ulong.MaxValue - d) / 10) return false;
            value = value * 10 + d;
        }
        return true;
    }
}
