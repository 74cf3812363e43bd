using System.Text;

namespace Codis.Fault.Tests.Fuzz;

/// <summary>The kind of hostile input one fuzz case sends.</summary>
public enum FuzzKind { RandomBytes, MutatedResp, HugeLength, DeepNesting, HugeArgCount, EmbeddedControl, Inline, RandomCommand }

/// <summary>One fuzz case: the bytes to send and whether to vanish halfway (send a prefix and close).</summary>
public sealed record FuzzCase(FuzzKind Kind, byte[] Bytes, bool VanishHalfway, int Requests = 1)
{
    public override string ToString()
    {
        var preview = Encoding.ASCII.GetString(Bytes, 0, Math.Min(Bytes.Length, 120)).Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0");
        return $"{Kind} ({Bytes.Length} bytes{(VanishHalfway ? ", vanishes halfway" : "")}): {preview}";
    }
}

/// <summary>
/// A small, seeded RESP fuzzer: the same seed gives the same sequence of cases. It mixes random bytes,
/// mutations of valid requests (flipped and negative lengths, lengths beyond proto-max-bulk-len, a 600 MB bulk
/// header, deep array nesting, embedded CR/LF/NUL, huge argument counts), inline requests, and random valid
/// commands with random arguments, named from the server's own COMMAND list.
/// </summary>
public sealed class RespFuzzer(int seed, IReadOnlyList<string> commands)
{
    private readonly Random rng = new(seed);

    /// <summary>Argument tokens that steer commands into their edge cases (options, limits, odd numbers).</summary>
    private static readonly string[] Tokens =
    [
        "EX", "PX", "EXAT", "NX", "XX", "GT", "LT", "CH", "INCR", "KEEPTTL", "GET", "WITHSCORES", "LIMIT", "COUNT", "MATCH", "TYPE",
        "BY", "STORE", "ASC", "DESC", "ALPHA", "LEFT", "RIGHT", "BEFORE", "AFTER", "BYSCORE", "BYLEX", "REV", "RANK", "MAXLEN",
        "MINID", "ID", "IDLE", "FORCE", "JUSTID", "*", "$", "-", "+", "(1", "[a", "0-0", "0-1", "1-*", "OVERFLOW", "SAT", "WRAP", "FAIL",
        "INCRBY", "u8", "i64", "u63", "i65", "#1", "WITHVALUES", "BIT", "BYTE", "ENCODING", "GETREG", "DECODE", "TODENSE",
        "0", "1", "-1", "2", "10", "100", "1000", "65536", "-100", "3.5", "-0", "1e10", "1e400", "inf", "-inf", "+inf", "nan",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616", "0x10", "", " ", "\"", "'",
    ];

    public FuzzCase Next()
    {
        var kind = (FuzzKind)rng.Next(Enum.GetValues<FuzzKind>().Length);
        byte[] bytes = kind switch
        {
            FuzzKind.RandomBytes => RandomBytes(rng.Next(1, 512)),
            FuzzKind.MutatedResp => Mutate(Encode(RandomCommand())),
            FuzzKind.HugeLength => HugeLength(),
            FuzzKind.DeepNesting => DeepNesting(),
            FuzzKind.HugeArgCount => HugeArgCount(),
            FuzzKind.EmbeddedControl => EmbeddedControl(),
            FuzzKind.Inline => Inline(),
            _ => null!,
        };
        if (kind == FuzzKind.RandomCommand)
        {
            // valid commands go pipelined, so a case tries many
            int n = rng.Next(1, 64);
            using var ms = new MemoryStream();
            for (int i = 0; i < n; i++) ms.Write(Encode(RandomCommand()));
            return new FuzzCase(kind, ms.ToArray(), rng.Next(10) == 0, n);
        }
        // a client that sends part of a request and vanishes
        return new FuzzCase(kind, bytes, rng.Next(6) == 0);
    }

    private byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        // half of the time start like RESP, so the parser goes past its first byte
        if (n > 0 && rng.Next(2) == 0) b[0] = (byte)"*$+-:_#,(!=%~>|"[rng.Next(15)];
        return b;
    }

    public List<byte[]> RandomCommand()
    {
        var args = new List<byte[]> { Encoding.ASCII.GetBytes(RandomCase(commands[rng.Next(commands.Count)])) };
        int n = rng.Next(8) == 0 ? rng.Next(8, 40) : rng.Next(0, 6);
        for (int i = 0; i < n; i++) args.Add(RandomArgument());
        return args;
    }

    private string RandomCase(string s) => rng.Next(3) switch { 0 => s.ToUpperInvariant(), 1 => s.ToLowerInvariant(), _ => s };

    private byte[] RandomArgument() => rng.Next(10) switch
    {
        < 4 => Encoding.ASCII.GetBytes($"fz:{rng.Next(64)}"), // keys the fuzzer shares, so commands meet existing values of every type
        < 7 => Encoding.ASCII.GetBytes(Tokens[rng.Next(Tokens.Length)]),
        7 => Encoding.ASCII.GetBytes(rng.Next(-1000, 100_000).ToString()),
        8 => RandomBytes(rng.Next(0, 64)),
        _ => Encoding.ASCII.GetBytes(new string('x', rng.Next(100, 20_000))),
    };

    public static byte[] Encode(IReadOnlyList<byte[]> args)
    {
        using var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes($"*{args.Count}\r\n"));
        foreach (var a in args)
        {
            ms.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            ms.Write(a);
            ms.Write("\r\n"u8);
        }
        return ms.ToArray();
    }

    /// <summary>A valid request with its numbers or bytes damaged.</summary>
    private byte[] Mutate(byte[] valid)
    {
        var text = Encoding.Latin1.GetString(valid);
        switch (rng.Next(6))
        {
            case 0: // flip one length to another number
            {
                var at = FindLengthDigits(text);
                if (at is { } span) text = text[..span.Start] + PickLength() + text[(span.Start + span.Length)..];
                break;
            }
            case 1: // negative counts and lengths
                text = text.Replace("*", rng.Next(2) == 0 ? "*-5" : "*-1").Replace("$3", "$-2");
                break;
            case 2: // truncate
                text = text[..rng.Next(1, text.Length)];
                break;
            case 3: // flip random bytes
            {
                var b = Encoding.Latin1.GetBytes(text);
                for (int i = 0, n = rng.Next(1, 6); i < n; i++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
            }
            case 4: // repeat the request many times (a pipeline) with one damaged copy in the middle
            {
                int n = rng.Next(2, 200);
                var sb = new StringBuilder();
                for (int i = 0; i < n; i++) sb.Append(i == n / 2 ? text.Replace("\r\n", "\n") : text);
                text = sb.ToString();
                break;
            }
            default: // a wrong type byte
                text = (char)"+-:_#,!?@ "[rng.Next(10)] + text[1..];
                break;
        }
        return Encoding.Latin1.GetBytes(text);
    }

    private static (int Start, int Length)? FindLengthDigits(string text)
    {
        int i = text.IndexOf('$', StringComparison.Ordinal);
        if (i < 0) return null;
        int j = i + 1;
        while (j < text.Length && char.IsAsciiDigit(text[j])) j++;
        return (i + 1, j - i - 1);
    }

    private string PickLength() => rng.Next(7) switch
    {
        0 => "0",
        1 => "-1",
        2 => "999999999999",
        3 => "9223372036854775807",
        4 => "99999999999999999999999",
        5 => rng.Next(1, 100).ToString(),
        _ => "abc",
    };

    /// <summary>Bulk headers far beyond any buffer: over proto-max-bulk-len, 600 MB, just under the limit; then a little data.</summary>
    private byte[] HugeLength()
    {
        string len = rng.Next(5) switch
        {
            0 => "999999999999",
            1 => "600000000",   // the 600 MB bulk header
            2 => "536870912",   // exactly proto-max-bulk-len
            3 => "400000000",   // under the limit: must not be allocated before it arrives
            _ => "9223372036854775807",
        };
        var sb = new StringBuilder("*3\r\n$3\r\nSET\r\n$5\r\nfz:hl\r\n$").Append(len).Append("\r\n").Append('z', rng.Next(0, 40_000));
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>Arrays inside arrays (RESP requests are flat: a parser that recursed would overflow its stack).</summary>
    private byte[] DeepNesting()
    {
        int depth = rng.Next(2) == 0 ? rng.Next(2, 100) : rng.Next(10_000, 200_000);
        var sb = new StringBuilder(depth * 4 + 32);
        for (int i = 0; i < depth; i++) sb.Append("*1\r\n");
        sb.Append("$4\r\nPING\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>An argument count that must not be allocated up front.</summary>
    private byte[] HugeArgCount()
    {
        string count = rng.Next(4) switch { 0 => "2147483647", 1 => "1048577", 2 => "4294967296", _ => "999999999" };
        var sb = new StringBuilder("*").Append(count).Append("\r\n");
        for (int i = 0, n = rng.Next(0, 2000); i < n; i++) sb.Append("$1\r\na\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>CR, LF and NUL inside bulk payloads and inline requests.</summary>
    private byte[] EmbeddedControl()
    {
        string[] nasty = ["a\r\nb", "\r\n", "\0", "a\0b\r\n*1\r\n$4\r\nPING\r\n", "\n\n\n", "\r", "\r\r\n"];
        var args = new List<byte[]> { "SET"u8.ToArray(), Encoding.Latin1.GetBytes("fz:" + nasty[rng.Next(nasty.Length)]), Encoding.Latin1.GetBytes(nasty[rng.Next(nasty.Length)]) };
        var valid = Encode(args);
        return rng.Next(2) == 0 ? valid : Encoding.Latin1.GetBytes("SET fz:i " + nasty[rng.Next(nasty.Length)] + " x\r\n");
    }

    /// <summary>Inline requests: quoting, unbalanced quotes, an over-long line, random words.</summary>
    private byte[] Inline()
    {
        string line = rng.Next(5) switch
        {
            0 => "SET \"fz:q\" \"a\\x00b\\\"c\"",
            1 => "SET \"fz:unbalanced x",
            2 => new string('a', rng.Next(60_000, 140_000)), // beyond the 64 KiB inline limit
            3 => "  \t ",
            _ => string.Join(' ', RandomCommand().Select(a => Encoding.Latin1.GetString(a).Replace("\r", "").Replace("\n", ""))),
        };
        return Encoding.Latin1.GetBytes(line + (rng.Next(4) == 0 ? "\n" : "\r\n"));
    }
}
