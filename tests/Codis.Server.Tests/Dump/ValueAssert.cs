using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

/// <summary>Compares decoded values with expected ones: lists in order, sets/hashes/zsets as collections.</summary>
internal static class ValueAssert
{
    public static string TypeName(object v) => v is byte[] ? "string" : ((RdbValue)v).TypeName;

    public static void Equal(object expected, object actual)
    {
        Assert.Equal(TypeName(expected), TypeName(actual));
        switch (expected)
        {
            case byte[] s:
                Assert.Equal(s, (byte[])actual);
                break;
            case RdbList list:
                Assert.Equal(Texts(list.Items), Texts(((RdbList)actual).Items));
                break;
            case RdbSet set:
                Assert.Equal(Texts(set.Members).Order(), Texts(((RdbSet)actual).Members).Order());
                break;
            case RdbHash hash:
                Assert.Equal(Pairs(hash.Entries), Pairs(((RdbHash)actual).Entries));
                break;
            case RdbZSet zset:
                Assert.Equal(Scores(zset.Entries), Scores(((RdbZSet)actual).Entries));
                break;
            case RdbStream stream:
                {
                    var a = (RdbStream)actual;
                    Assert.Equal(stream.Entries.Select(Describe), a.Entries.Select(Describe));
                    Assert.Equal(stream.LastId, a.LastId);
                    Assert.Equal(stream.FirstId, a.FirstId);
                    Assert.Equal(stream.MaxDeletedId, a.MaxDeletedId);
                    Assert.Equal(stream.EntriesAdded, a.EntriesAdded);
                    Assert.Equal(stream.Groups.Select(Describe), a.Groups.Select(Describe));
                    break;
                }
            default:
                throw new NotSupportedException(expected.GetType().Name);
        }
    }

    private static List<string> Texts(IEnumerable<byte[]> items) => items.Select(Encoding.Latin1.GetString).ToList();

    private static List<string> Pairs(IEnumerable<(byte[] F, byte[] V)> e) =>
        e.Select(x => Encoding.Latin1.GetString(x.F) + "=" + Encoding.Latin1.GetString(x.V)).Order().ToList();

    private static List<string> Scores(IEnumerable<(byte[] M, double S)> e) =>
        e.Select(x => Encoding.Latin1.GetString(x.M) + "=" + x.S.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();

    private static string Describe(RdbStreamEntry e) =>
        e.Id + " " + string.Join(",", e.Fields.Select(f => Encoding.Latin1.GetString(f.Field) + "=" + Encoding.Latin1.GetString(f.Value)));

    private static string Describe(RdbStreamGroup g) =>
        $"{Encoding.Latin1.GetString(g.Name)} {g.LastDelivered} {g.EntriesRead} pel={g.Pending.Count} consumers={g.Consumers.Count}";
}
