using System.Buffers.Text;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>
/// Encodes the SLOTSRESTORE-ASYNC messages of semi-async migration (reference/codis.md §6.4), each straight into one
/// array of its exact size: a constant prefix (command and sub-command) then the key and the rest. Two of these go
/// out per small key moved, so they skip the generic encoder's argument arrays and number strings.
/// </summary>
internal static class RestoreMessage
{
    private static ReadOnlySpan<byte> DeletePrefix => "*3\r\n$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\ndelete\r\n"u8;
    private static ReadOnlySpan<byte> StringPrefix => "*5\r\n$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\nstring\r\n"u8;
    private static ReadOnlySpan<byte> ObjectPrefix => "*5\r\n$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\nobject\r\n"u8;

    private static readonly byte[] Restore = "SLOTSRESTORE-ASYNC"u8.ToArray();
    private static readonly byte[] CommandSub = "command"u8.ToArray();

    /// <summary><c>SLOTSRESTORE-ASYNC delete key</c>.</summary>
    public static byte[] Delete(ReadOnlySpan<byte> key)
    {
        var m = new byte[DeletePrefix.Length + BulkLength(key.Length)];
        DeletePrefix.CopyTo(m);
        Bulk(m, DeletePrefix.Length, key);
        return m;
    }

    /// <summary><c>SLOTSRESTORE-ASYNC string key ttl value</c> (ttl in ms, 0 = none).</summary>
    public static byte[] String(ReadOnlySpan<byte> key, long ttl, ReadOnlySpan<byte> value) => WithTtl(StringPrefix, key, ttl, value);

    /// <summary><c>SLOTSRESTORE-ASYNC object key ttl payload</c> (a DUMP payload).</summary>
    public static byte[] Object(ReadOnlySpan<byte> key, long ttl, ReadOnlySpan<byte> payload) => WithTtl(ObjectPrefix, key, ttl, payload);

    /// <summary><c>SLOTSRESTORE-ASYNC command hashkey args...</c>: a write forwarded behind its key's copy.</summary>
    public static byte[] Command(byte[] hashKey, byte[][] args)
    {
        var all = new byte[3 + args.Length][];
        all[0] = Restore;
        all[1] = CommandSub;
        all[2] = hashKey;
        args.CopyTo(all, 3);
        return RespValue.EncodeCommand(all);
    }

    private static byte[] WithTtl(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> key, long ttl, ReadOnlySpan<byte> value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(ttl, digits, out int n);
        digits = digits[..n];
        var m = new byte[prefix.Length + BulkLength(key.Length) + BulkLength(n) + BulkLength(value.Length)];
        prefix.CopyTo(m);
        int pos = Bulk(m, prefix.Length, key);
        pos = Bulk(m, pos, digits);
        Bulk(m, pos, value);
        return m;
    }

    private static int BulkLength(int n) => 1 + Core.Resp.RespValue.Digits(n) + 2 + n + 2;

    /// <summary>Writes <c>$len\r\nvalue\r\n</c> at <paramref name="pos"/>; returns the position after it.</summary>
    private static int Bulk(byte[] m, int pos, ReadOnlySpan<byte> value)
    {
        m[pos++] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, m.AsSpan(pos), out int n);
        pos += n;
        m[pos++] = (byte)'\r';
        m[pos++] = (byte)'\n';
        value.CopyTo(m.AsSpan(pos));
        pos += value.Length;
        m[pos++] = (byte)'\r';
        m[pos++] = (byte)'\n';
        return pos;
    }
}
