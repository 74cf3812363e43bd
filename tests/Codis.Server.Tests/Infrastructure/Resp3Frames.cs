using System.Text;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>
/// Framing of raw RESP3 replies (every type: + - : $ * and _ , # ( = % ~ | &gt;) without decoding them, so tests can
/// compare the exact bytes two servers send. An attribute ("|") belongs to the reply that follows it.
/// </summary>
public static class Resp3Frames
{
    /// <summary>The length of the whole frame at the start of <paramref name="data"/>, or -1 if it is incomplete.</summary>
    public static int Length(ReadOnlySpan<byte> data)
    {
        int pos = 0;
        return Skip(data, ref pos) ? pos : -1;
    }

    private static bool Skip(ReadOnlySpan<byte> data, ref int pos)
    {
        if (pos >= data.Length) return false;
        int nl = data[pos..].IndexOf("\r\n"u8);
        if (nl < 0) return false;
        byte type = data[pos];
        var line = data.Slice(pos + 1, nl - 1);
        pos += nl + 2;
        switch (type)
        {
            case (byte)'+' or (byte)'-' or (byte)':' or (byte)'_' or (byte)',' or (byte)'#' or (byte)'(':
                return true;
            case (byte)'$' or (byte)'=' or (byte)'!':
            {
                long len = long.Parse(Encoding.ASCII.GetString(line));
                if (len < 0) return true;
                if (pos + len + 2 > data.Length) return false;
                pos += (int)len + 2;
                return true;
            }
            case (byte)'*' or (byte)'~' or (byte)'>':
            case (byte)'%' or (byte)'|':
            {
                long n = long.Parse(Encoding.ASCII.GetString(line));
                if (n < 0) return true;
                if (type is (byte)'%' or (byte)'|') n *= 2;
                for (long i = 0; i < n; i++)
                    if (!Skip(data, ref pos)) return false;
                // An attribute describes the next reply: both make one frame.
                return type != (byte)'|' || Skip(data, ref pos);
            }
            default:
                throw new InvalidDataException($"not a RESP3 type byte: '{(char)type}'");
        }
    }

    /// <summary>Splits a byte run into whole frames; a trailing partial frame is returned as the last item.</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> data)
    {
        var frames = new List<byte[]>();
        while (!data.IsEmpty)
        {
            int n = Length(data);
            if (n < 0) n = data.Length;
            frames.Add(data[..n].ToArray());
            data = data[n..];
        }
        return frames;
    }

    /// <summary>Printable form for assertion messages ("\r\n" shown as a space-separated line break).</summary>
    public static string Show(ReadOnlySpan<byte> frame) => Encoding.UTF8.GetString(frame).Replace("\r\n", "⏎");
}
