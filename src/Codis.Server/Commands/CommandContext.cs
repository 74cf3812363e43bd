using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Networking;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>What a command handler sees: its arguments, the reply writer, the client and the keyspace.</summary>
internal sealed class CommandContext(CodisServer server, ClientSession client, RespWriter reply)
{
    public CodisServer Server { get; } = server;
    public ClientSession Client { get; } = client;
    public RespWriter Reply { get; } = reply;
    public RespRequest Args { get; internal set; } = null!;
    public CommandSpec Command { get; internal set; } = null!;

    public Keyspace Keyspace => Server.Keyspace;
    public Database Db => Server.Keyspace[Client.DbIndex];
    public long Now => Server.Keyspace.Now;
    public int ArgCount => Args.Count;

    public ReadOnlySpan<byte> Arg(int i) => Args[i];
    public string ArgString(int i) => Args.ToUtf8String(i);
    public byte[] ArgBytes(int i) => Args.ToArray(i);

    /// <summary>Case-insensitive ASCII comparison of an argument with a keyword.</summary>
    public bool ArgIs(int i, string keyword) => Ascii.EqualsIgnoreCase(Args[i], keyword);

    /// <summary>When set, the command is propagated as these arguments instead of the request (e.g. SET EX → SET PXAT).</summary>
    public List<byte[][]>? Rewrite { get; set; }

    /// <summary>
    /// Whether a <see cref="Rewrite"/> will be read: the AOF or replicas take this command's effects, or a slot
    /// migration forwards it. Handlers whose rewrite costs copies on every call (XADD's generated ID) skip it otherwise.
    /// </summary>
    public bool EffectsWanted => Server.Persistence.Aof.Enabled || Server.Replication.WantsStream || Server.ForwardingWrite;

    /// <summary>Set by handlers that decide not to propagate (a write that changed nothing).</summary>
    public bool SuppressPropagation { get; set; }

    /// <summary>Where <see cref="Reply"/> writes when replies are on (the connection's pipe).</summary>
    internal IBufferWriter<byte>? Output { get; init; }

    private static readonly DiscardWriter Discard = new();

    public bool Muted { get; private set; }

    /// <summary>CLIENT REPLY OFF/SKIP: what the command writes is dropped.</summary>
    internal void Mute()
    {
        if (Muted || Output == null) return;
        Reply.Retarget(Discard);
        Muted = true;
    }

    internal void Unmute()
    {
        if (!Muted) return;
        Reply.Retarget(Output!);
        Muted = false;
    }

    /// <summary>A sink for muted replies. Shared by all connections: nobody reads what is written into it.</summary>
    private sealed class DiscardWriter : IBufferWriter<byte>
    {
        [ThreadStatic] private static byte[]? block;

        public void Advance(int count) { }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            int size = Math.Max(sizeHint, 64 * 1024);
            if (block == null || block.Length < size) block = new byte[size];
            return block;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    /// <summary>
    /// Set by a command that blocks its client (the semi-async migration commands, SLOTSMGRT-ASYNC-FENCE): the
    /// connection stops running this client's requests until the task gives the encoded reply; other clients go on.
    /// </summary>
    public Task<byte[]>? Deferred { get; set; }

    /// <summary>Set by a blocking command that has to wait: the client's batch stops until the wait ends.</summary>
    public Networking.Blocking.BlockedClient? Blocked { get; set; }

    /// <summary>
    /// When set (inside MULTI/EXEC, scripts), blocking commands never wait: they answer at once, with their
    /// timeout reply when there is nothing to pop, as Redis does.
    /// </summary>
    public bool DenyBlocking { get; set; }

    /// <summary>
    /// A keyspace event of this command on a key of the client's database, raised where the command changes the
    /// key, in Redis's order (SET k v EX 10: "set" then "expire").
    /// </summary>
    public void Notify(PubSub.NotifyType type, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key) =>
        Server.Keyspace.Events?.Publish(type, name, Client.DbIndex, key);

    /// <summary><see cref="Notify(PubSub.NotifyType, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for the key in argument <paramref name="keyArg"/>.</summary>
    public void Notify(PubSub.NotifyType type, ReadOnlySpan<byte> name, int keyArg) =>
        Server.Keyspace.Events?.Publish(type, name, Client.DbIndex, Args[keyArg]);

    public void Error(string message) => Reply.WriteError(message);
    public void Ok() => Reply.WriteOk();
    public void WrongType() => Reply.WriteError(Errors.WrongType);
    public void SyntaxError() => Reply.WriteError(Errors.Syntax);

    /// <summary>Parses an argument as a 64-bit integer; on failure replies the Redis error and returns false.</summary>
    public bool TryArgLong(int i, out long value, string error = Errors.NotInteger)
    {
        if (TryParseLong(Args[i], out value)) return true;
        Reply.WriteError(error);
        return false;
    }

    public bool TryArgInt(int i, out int value, string error = Errors.NotInteger)
    {
        value = 0;
        if (!TryParseLong(Args[i], out long v) || v < int.MinValue || v > int.MaxValue)
        {
            Reply.WriteError(error);
            return false;
        }
        value = (int)v;
        return true;
    }

    public bool TryArgDouble(int i, out double value, string error = Errors.NotFloat)
    {
        if (TryParseDouble(Args[i], out value)) return true;
        Reply.WriteError(error);
        return false;
    }

    /// <summary>Redis's string2ll: strict decimal, optional '-', no '+', no spaces, no leading zeros.</summary>
    public static bool TryParseLong(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20) return false;
        if (text.Length == 1 && text[0] == (byte)'0') return true;
        if (text[0] == (byte)'0' || text[0] == (byte)'+') return false;
        if (text[0] == (byte)'-' && (text.Length == 1 || text[1] == (byte)'0')) return false;
        return Utf8Parser.TryParse(text, out value, out int used) && used == text.Length;
    }

    /// <summary>
    /// Redis's getDoubleFromObject: the whole text as strtod reads it (exponents, inf, hexadecimal), no leading
    /// space, no NaN, and no overflow or underflow to zero.
    /// </summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value) =>
        TryParsePlainDecimal(text, out value) || Strtod.TryParse(text, leadingSpace: false, rangeIsError: true, out value);

    private static readonly double[] PowersOfTen = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>
    /// The usual scores and increments: [-]digits[.digits] with at most 15 digits. The digits are exact as a double
    /// (below 2^53) and so is their power of ten, so one division gives the correctly rounded value, as strtod does.
    /// Anything else (exponents, inf, long numbers, hex) takes the general path.
    /// </summary>
    internal static bool TryParsePlainDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = false;
        if (text.Length > 0 && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }
        long digits = 0;
        int count = 0, fraction = -1;
        for (; i < text.Length; i++)
        {
            int d = text[i] - '0';
            if ((uint)d <= 9)
            {
                if (++count > 15) return false;
                digits = digits * 10 + d;
                if (fraction >= 0) fraction++;
            }
            else if (text[i] == (byte)'.' && fraction < 0) fraction = 0;
            else return false;
        }
        if (count == 0) return false;
        value = fraction > 0 ? digits / PowersOfTen[fraction] : digits;
        if (negative) value = -value; // "-0" is -0.0, as strtod reads it
        return true;
    }

    /// <summary>Formats a double the way Redis replies it (%.17g, "inf"/"-inf").</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e17) return ((long)d).ToString(CultureInfo.InvariantCulture);
        return G17(d);
    }

    /// <summary>C's %.17g.</summary>
    public static string G17(double d) => RespDouble.G17(d);
}
