using System.Text;

namespace Codis.Core.Resp;

/// <summary>
/// One parsed request: argument slices that point into the receive buffer (or, for inline requests, into a
/// scratch buffer of unescaped bytes). Reused across requests; valid only until the buffer is released.
/// </summary>
public sealed class RespRequest
{
    private ReadOnlyMemory<byte> source;
    private int[] starts = new int[8];
    private int[] lengths = new int[8];
    private byte[] scratch = [];

    public int Count { get; private set; }

    /// <summary>Bytes of the request on the wire (for stats and replication).</summary>
    public int WireLength { get; internal set; }

    /// <summary>True when the request came as RESP multibulk: <see cref="Raw"/> is then its exact wire form.</summary>
    public bool IsMultibulk { get; private set; }

    /// <summary>The request's wire bytes (multibulk only): a proxy forwards them without re-encoding.</summary>
    public ReadOnlyMemory<byte> Raw => IsMultibulk ? source[..WireLength] : ReadOnlyMemory<byte>.Empty;

    public ReadOnlySpan<byte> this[int index] => source.Span.Slice(starts[index], lengths[index]);

    public ReadOnlyMemory<byte> Memory(int index) => source.Slice(starts[index], lengths[index]);

    public int Length(int index) => lengths[index];

    public byte[] ToArray(int index) => this[index].ToArray();

    public string ToUtf8String(int index) => Encoding.UTF8.GetString(this[index]);

    /// <summary>Builds a request from arguments (tests, internal replays).</summary>
    public static RespRequest FromArgs(params byte[][] args)
    {
        // Encoded and parsed like a received request, so Raw and the slices behave the same.
        var wire = RespValue.EncodeCommand(args);
        var r = new RespRequest();
        RespRequestParser.TryParse(wire, r, RespLimits.Default, authenticated: true, out _, out _);
        return r;
    }

    public static RespRequest FromStrings(params string[] args) =>
        FromArgs(Array.ConvertAll(args, a => Encoding.UTF8.GetBytes(a)));

    // Resume state of a multibulk request that was incomplete: the announced count and where the next argument starts.
    private long resumeCount;
    private int resumePos;
    private bool resumeArmed;

    /// <summary>
    /// Lets the next <see cref="RespRequestParser.TryParse"/> of this object continue an incomplete multibulk request
    /// where it stopped instead of parsing its arguments again (a request of a million arguments arrives in many
    /// reads). The caller promises the buffer it passes starts at the same request, with the same bytes.
    /// </summary>
    public void ArmResume() => resumeArmed = resumeCount > 0;

    internal bool TakeResume(long count, out int pos)
    {
        bool ok = resumeArmed && resumeCount == count && resumePos > 0;
        resumeArmed = false;
        pos = ok ? resumePos : 0;
        if (!ok) resumeCount = 0;
        return ok;
    }

    internal void SaveResume(long count, int pos)
    {
        resumeCount = count;
        resumePos = pos;
    }

    internal void ClearResume() => resumeCount = 0;

    internal void Resume(ReadOnlyMemory<byte> memory) => source = memory;

    /// <summary>
    /// What the consumer looked the command name up as (codis-server: its command table entry), kept with the
    /// request so that checks before the batch runs and the run itself look it up once. Cleared by every parse.
    /// </summary>
    public object? Resolved { get; set; }

    internal void Reset(ReadOnlyMemory<byte> memory, long expectedCount, bool multibulk = false)
    {
        source = memory;
        Resolved = null;
        Count = 0;
        IsMultibulk = multibulk;
        // Never trust the announced count for allocation: grow as arguments really arrive.
        int want = (int)Math.Min(expectedCount, 1024);
        if (starts.Length < want)
        {
            starts = new int[want];
            lengths = new int[want];
        }
    }

    internal void Add(int start, int length)
    {
        if (Count == starts.Length)
        {
            Array.Resize(ref starts, starts.Length * 2);
            Array.Resize(ref lengths, lengths.Length * 2);
        }
        starts[Count] = start;
        lengths[Count] = length;
        Count++;
    }

    internal byte[] RentScratch(int size)
    {
        if (scratch.Length < size) scratch = new byte[Math.Max(size, 256)];
        return scratch;
    }

    internal void SetSource(ReadOnlyMemory<byte> memory) => source = memory;

    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Encoding.UTF8.GetString(this[i]));
        }
        return sb.ToString();
    }
}
