using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

/// <summary>
/// Replays the "commands" notation of the vector README (SET, RPUSH, SADD, HSET, ZADD, XADD, XGROUP CREATE,
/// FOR loops, REP(...), BYTES(...), redis-cli quoting) into the neutral values those commands would build, so each
/// captured payload can be checked against an independently built expectation. PFADD keys map to null (opaque).
/// </summary>
internal static partial class VectorCommands
{
    public static Dictionary<string, object?> Build(string commands)
    {
        var state = new Dictionary<string, object?>();
        foreach (var command in commands.Split(" ; "))
        {
            var m = ForLoop().Match(command);
            if (m.Success)
            {
                int from = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), to = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                for (int i = from; i <= to; i++) Apply(state, Tokenize(Substitute(m.Groups[3].Value, i)));
            }
            else
            {
                Apply(state, Tokenize(command));
            }
        }
        foreach (var key in state.Keys.ToList())
            if (state[key] is StreamBuilder sb) state[key] = sb.ToStream();
        return state;
    }

    private static string Substitute(string template, int i) => Expression().Replace(template, m =>
    {
        string e = m.Groups[1].Value;
        if (e == "i") return i.ToString(CultureInfo.InvariantCulture);
        var f = e[2..]; // "i*<factor>"
        if (!f.Contains('.')) return (i * int.Parse(f, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture);
        double d = i * double.Parse(f, CultureInfo.InvariantCulture);
        // Python prints floats with at least one decimal: 0.0, 1.5, 3.0.
        return d == Math.Floor(d) ? ((long)d).ToString(CultureInfo.InvariantCulture) + ".0" : d.ToString("R", CultureInfo.InvariantCulture);
    });

    private static void Apply(Dictionary<string, object?> state, List<byte[]> w)
    {
        string cmd = Encoding.ASCII.GetString(w[0]).ToUpperInvariant();
        string key = w.Count > 1 ? Encoding.Latin1.GetString(w[1]) : "";
        switch (cmd)
        {
            case "DEBUG":
                break;
            case "SET":
                state[key] = w[2];
                break;
            case "RPUSH":
                {
                    var list = (RdbList)(state.TryGetValue(key, out var v) ? v! : state[key] = new RdbList([]));
                    list.Items.AddRange(w.Skip(2));
                    break;
                }
            case "SADD":
                {
                    var set = (RdbSet)(state.TryGetValue(key, out var v) ? v! : state[key] = new RdbSet([]));
                    foreach (var m in w.Skip(2))
                        if (!set.Members.Any(x => x.AsSpan().SequenceEqual(m))) set.Members.Add(m);
                    break;
                }
            case "HSET":
                {
                    var hash = (RdbHash)(state.TryGetValue(key, out var v) ? v! : state[key] = new RdbHash([]));
                    for (int i = 2; i < w.Count; i += 2)
                    {
                        int at = hash.Entries.FindIndex(e => e.Field.AsSpan().SequenceEqual(w[i]));
                        if (at >= 0) hash.Entries[at] = (w[i], w[i + 1]);
                        else hash.Entries.Add((w[i], w[i + 1]));
                    }
                    break;
                }
            case "ZADD":
                {
                    var zset = (RdbZSet)(state.TryGetValue(key, out var v) ? v! : state[key] = new RdbZSet([]));
                    for (int i = 2; i < w.Count; i += 2)
                    {
                        double score = ParseScore(Encoding.ASCII.GetString(w[i]));
                        int at = zset.Entries.FindIndex(e => e.Member.AsSpan().SequenceEqual(w[i + 1]));
                        if (at >= 0) zset.Entries[at] = (w[i + 1], score);
                        else zset.Entries.Add((w[i + 1], score));
                    }
                    break;
                }
            case "XADD":
                {
                    var sb = (StreamBuilder)(state.TryGetValue(key, out var v) ? v! : state[key] = new StreamBuilder());
                    var fields = new List<(byte[], byte[])>();
                    for (int i = 3; i < w.Count; i += 2) fields.Add((w[i], w[i + 1]));
                    sb.Entries.Add(new RdbStreamEntry(ParseId(Encoding.ASCII.GetString(w[2])), fields));
                    break;
                }
            case "XGROUP":
                {
                    key = Encoding.Latin1.GetString(w[2]);
                    var sb = (StreamBuilder)state[key]!;
                    sb.Groups.Add(new RdbStreamGroup(w[3], ParseId(Encoding.ASCII.GetString(w[4])), -1, [], []));
                    break;
                }
            case "PFADD":
                state[key] = null;
                break;
            default:
                throw new NotSupportedException("vector command " + cmd);
        }
    }

    public static double ParseScore(string s) => s switch
    {
        "+inf" or "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    public static RdbStreamId ParseId(string s)
    {
        int dash = s.IndexOf('-');
        return dash < 0
            ? new RdbStreamId(ulong.Parse(s, CultureInfo.InvariantCulture), 0)
            : new RdbStreamId(ulong.Parse(s[..dash], CultureInfo.InvariantCulture), ulong.Parse(s[(dash + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Splits one command into words: bare words, "quoted" with \xHH \\ \" \n \r \t, REP("s",N), BYTES(a..b).</summary>
    public static List<byte[]> Tokenize(string command)
    {
        var words = new List<byte[]>();
        int p = 0;
        while (p < command.Length)
        {
            if (command[p] == ' ')
            {
                p++;
                continue;
            }
            var rest = command.AsSpan(p);
            if (rest.StartsWith("REP(\""))
            {
                var m = Rep().Match(command, p);
                var unit = Unquote(m.Groups[1].Value);
                int n = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                var bytes = new byte[n];
                for (int i = 0; i < n; i++) bytes[i] = unit[i % unit.Length];
                words.Add(bytes);
                p += m.Length;
            }
            else if (rest.StartsWith("BYTES("))
            {
                var m = ByteRange().Match(command, p);
                int a = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), b = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                words.Add(Enumerable.Range(a, b - a + 1).Select(x => (byte)x).ToArray());
                p += m.Length;
            }
            else if (command[p] == '"')
            {
                int end = p + 1;
                while (command[end] != '"') end += command[end] == '\\' ? 2 : 1;
                words.Add(Unquote(command[(p + 1)..end]));
                p = end + 1;
            }
            else
            {
                int end = command.IndexOf(' ', p);
                if (end < 0) end = command.Length;
                words.Add(Encoding.Latin1.GetBytes(command[p..end]));
                p = end;
            }
        }
        return words;
    }

    private static byte[] Unquote(string s)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\')
            {
                bytes.Add((byte)s[i]);
                continue;
            }
            char c = s[++i];
            switch (c)
            {
                case 'x':
                    bytes.Add(Convert.ToByte(s.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                default: bytes.Add((byte)c); break;
            }
        }
        return [.. bytes];
    }

    private sealed class StreamBuilder
    {
        public List<RdbStreamEntry> Entries { get; } = [];
        public List<RdbStreamGroup> Groups { get; } = [];

        public RdbStream ToStream() => new(Entries, Entries[^1].Id, Entries[0].Id, default, (ulong)Entries.Count, Groups);
    }

    [GeneratedRegex(@"^FOR i IN (\d+)\.\.(\d+): (.*)$")]
    private static partial Regex ForLoop();

    [GeneratedRegex(@"\{(i(?:\*[0-9.]+)?)\}")]
    private static partial Regex Expression();

    [GeneratedRegex(@"\GREP\(""((?:[^""\\]|\\.)*)"",(\d+)\)")]
    private static partial Regex Rep();

    [GeneratedRegex(@"\GBYTES\((\d+)\.\.(\d+)\)")]
    private static partial Regex ByteRange();
}
