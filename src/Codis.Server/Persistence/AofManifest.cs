using System.Globalization;
using System.Text;

namespace Codis.Server.Persistence;

/// <summary>One file of a multi-part AOF: <c>b</c> base (RDB or commands), <c>i</c> increment, <c>h</c> history.</summary>
internal sealed record AofFileInfo(string Name, long Seq, char Type);

/// <summary>
/// Redis 7's AOF manifest (appenddirname/appendfilename.manifest): one line per file,
/// <c>file &lt;name&gt; seq &lt;n&gt; type &lt;b|i|h&gt;</c>. We follow it so redis-server, redis-check-aof and our
/// files are interchangeable: a base (ours is always written as an RDB, <c>.base.rdb</c>) plus increments
/// (<c>.incr.aof</c>, RESP commands) applied in order. History entries are files a finished rewrite made obsolete.
/// </summary>
internal sealed class AofManifest
{
    public AofFileInfo? Base { get; set; }
    public List<AofFileInfo> Incrs { get; } = new();
    public List<AofFileInfo> History { get; } = new();

    public long NextIncrSeq => Incrs.Count == 0 ? (Base?.Seq ?? 0) + 1 : Incrs.Max(i => i.Seq) + 1;
    public long NextBaseSeq => (Base?.Seq ?? 0) + 1;

    public AofManifest Clone()
    {
        var m = new AofManifest { Base = Base };
        m.Incrs.AddRange(Incrs);
        m.History.AddRange(History);
        return m;
    }

    public string Format()
    {
        var sb = new StringBuilder();
        if (Base != null) Line(sb, Base);
        foreach (var h in History) Line(sb, h);
        foreach (var i in Incrs) Line(sb, i);
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, AofFileInfo f) =>
        sb.Append("file ").Append(f.Name).Append(" seq ").Append(f.Seq.ToString(CultureInfo.InvariantCulture))
          .Append(" type ").Append(f.Type).Append('\n');

    /// <exception cref="InvalidDataException">a malformed manifest, with the line number</exception>
    public static AofManifest Parse(string text, string path)
    {
        var m = new AofManifest();
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length % 2 != 0) throw new InvalidDataException($"{path}:{n + 1}: Invalid AOF manifest file format");
            string? name = null;
            long seq = -1;
            char type = '\0';
            for (int i = 0; i < words.Length; i += 2)
            {
                switch (words[i])
                {
                    case "file": name = words[i + 1]; break;
                    case "seq": seq = long.TryParse(words[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) ? parsed : -1; break;
                    case "type": type = words[i + 1].Length == 1 ? words[i + 1][0] : '?'; break;
                }
            }
            if (name == null || seq < 0 || type is not ('b' or 'i' or 'h') || name.Contains('/'))
                throw new InvalidDataException($"{path}:{n + 1}: Invalid AOF manifest file format");
            var f = new AofFileInfo(name, seq, type);
            switch (type)
            {
                case 'b':
                    if (m.Base != null) throw new InvalidDataException($"{path}:{n + 1}: Found duplicate base file information");
                    m.Base = f;
                    break;
                case 'i':
                    if (m.Incrs.Count > 0 && seq <= m.Incrs[^1].Seq)
                        throw new InvalidDataException($"{path}:{n + 1}: Found a non-monotonic sequence number");
                    m.Incrs.Add(f);
                    break;
                default:
                    m.History.Add(f);
                    break;
            }
        }
        return m;
    }
}
