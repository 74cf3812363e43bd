using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Slots;

/// <summary>SLOTSHASHKEY SLOTSINFO SLOTSSCAN SLOTSDEL SLOTSCHECK SLOTSRESTORE, each test in its own DB of one server.</summary>
public class SlotCommandTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private RespClient Db(int db)
    {
        var c = fx.Client();
        c.Call("SELECT", db).AssertOk();
        c.Call("FLUSHDB").AssertOk();
        return c;
    }

    private static long[][] Pairs(RespValue v) =>
        v.Items!.Select(p => p.Items!.Select(i => i.Integer).ToArray()).ToArray();

    [Fact]
    public void HashKey_ReturnsTheSlotOfEachKey()
    {
        using var c = fx.Client();
        var r = c.Call("SLOTSHASHKEY", "a", "b", "c", "foo", "user:{42}:profile", "{42}", "{}", "foo{{bar}}zap");
        Assert.Equal([579, 1017, 879, 289, 136, 136, 0, 313], r.Items!.Select(i => i.AssertInt()).ToArray());
        Assert.Empty(c.Call("SLOTSHASHKEY").Items!);
    }

    [Fact]
    public void Info_ListsNonEmptySlotsOfTheRange()
    {
        using var c = Db(1);
        c.Call("MSET", "a", "1", "b", "2", "c", "3", "{a}x", "4").AssertOk();
        Assert.Equal([[579, 2], [879, 1], [1017, 1]], Pairs(c.Call("SLOTSINFO")));
        Assert.Equal([[879, 1], [1017, 1]], Pairs(c.Call("SLOTSINFO", "600")));
        Assert.Equal([[579, 2]], Pairs(c.Call("SLOTSINFO", "579", "1")));
        Assert.Empty(c.Call("SLOTSINFO", "580", "299").Items!);
        Assert.Equal([[879, 1], [1017, 1]], Pairs(c.Call("SLOTSINFO", "800", "100000")));
        Assert.Empty(c.Call("SLOTSINFO", "0", "0").Items!);
        c.Call("SLOTSINFO", "1024").AssertError("ERR invalid slot number = 1024");
        c.Call("SLOTSINFO", "-1").AssertError("ERR invalid slot number = -1");
        c.Call("SLOTSINFO", "0", "-1").AssertError("ERR invalid slot count = -1");
        c.Call("SLOTSINFO", "x").AssertError("ERR value is not an integer or out of range");
        c.Call("SLOTSINFO", "99999999999").AssertError("ERR value is out of range");
        c.Call("SLOTSINFO", "0", "1", "2").AssertError("ERR wrong number of arguments for 'slotsinfo' command");
    }

    [Fact]
    public void Scan_WalksOneSlotExactlyOnce()
    {
        using var c = Db(2);
        var keys = SlotKeys.InSlot(100, 57, "sc");
        foreach (var k in keys) c.Call("SET", k, "v").AssertOk();
        c.Call("MSET", "a", "1", "b", "2").AssertOk(); // other slots: never listed
        var seen = new List<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var r = c.Call("SLOTSSCAN", "100", cursor, "COUNT", "5");
            cursor = r.Items![0].Text!;
            var batch = r.Items[1].Texts();
            Assert.True(batch.Length <= 5);
            seen.AddRange(batch);
            calls++;
        } while (cursor != "0");
        Assert.True(calls >= 12, $"COUNT 5 over 57 keys took only {calls} calls");
        Assert.Equal(keys.OrderBy(k => k), seen.OrderBy(k => k));

        var all = c.Call("SLOTSSCAN", "100", "0", "count", "1000");
        Assert.Equal("0", all.Items![0].Text);
        Assert.Equal(57, all.Items[1].Items!.Length);
        var def = c.Call("SLOTSSCAN", "100", "0");
        Assert.Equal(10, def.Items![1].Items!.Length);
        var empty = c.Call("SLOTSSCAN", "101", "0");
        Assert.Equal("0", empty.Items![0].Text);
        Assert.Empty(empty.Items[1].Items!);
    }

    [Fact]
    public void Scan_Errors()
    {
        using var c = Db(3);
        c.Call("SLOTSSCAN", "1024", "0").AssertError("ERR invalid slot number = 1024");
        c.Call("SLOTSSCAN", "0", "abc").AssertError("ERR invalid cursor");
        c.Call("SLOTSSCAN", "0", "0", "COUNT").AssertError("ERR wrong number of arguments for 'slotsscan' command");
        c.Call("SLOTSSCAN", "0", "0", "MATCH", "*").AssertError("ERR syntax error");
        c.Call("SLOTSSCAN", "0", "0", "COUNT", "0").AssertError("ERR syntax error");
        c.Call("SLOTSSCAN", "0", "0", "COUNT", "x").AssertError("ERR value is not an integer or out of range");
        c.Call("SLOTSSCAN", "0").AssertError("ERR wrong number of arguments for 'slotsscan' command");
    }

    [Fact]
    public void Del_EmptiesTheGivenSlotsOnly()
    {
        using var c = Db(4);
        var keys = SlotKeys.InSlot(200, 20, "del");
        foreach (var k in keys) c.Call("SET", k, "v", "EX", "100").AssertOk();
        c.Call("MSET", "a", "1", "{t}1", "x").AssertOk();
        var r = c.Call("SLOTSDEL", "200", "579", "5");
        Assert.Equal([[200, 0], [579, 0], [5, 0]], Pairs(r));
        Assert.Equal(1, c.Call("DBSIZE").AssertInt());
        Assert.Equal("x", c.Call("GET", "{t}1").Text);
        c.Call("SLOTSCHECK").AssertOk();
        c.Call("SLOTSDEL", "1", "1024").AssertError("ERR invalid slot number = 1024");
        c.Call("SLOTSDEL").AssertError("ERR wrong number of arguments for 'slotsdel' command");
    }

    [Fact]
    public void Check_IsOkThroughAddsDeletesRenamesAndFlushes()
    {
        using var c = Db(5);
        for (int i = 0; i < 200; i++) c.Call("SET", i % 3 == 0 ? $"{{g{i % 7}}}:{i}" : $"k{i}", "v");
        c.Call("SLOTSCHECK").AssertOk();
        c.Call("DEL", "{g0}:0", "k1").AssertInt();
        c.Call("RENAME", "{g3}:3", "{h}:moved").AssertOk();
        c.Call("SET", "{short}:ttl", "v", "PX", "1").AssertOk();
        Thread.Sleep(20);
        Assert.Equal(0, c.Call("EXISTS", "{short}:ttl").AssertInt());
        c.Call("SLOTSCHECK").AssertOk();
        c.Call("FLUSHDB").AssertOk();
        c.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void Restore_ReplacesKeysWithPayloadsAndTtls()
    {
        using var c = Db(6);
        c.Call("SET", "src1", "hello").AssertOk();
        c.Call("SET", "src2", "12345").AssertOk();
        var p1 = c.Call("DUMP", "src1").Bytes!;
        var p2 = c.Call("DUMP", "src2").Bytes!;
        c.Call("SET", "dst1", "old", "EX", "5").AssertOk();
        c.Call("SLOTSRESTORE", "dst1", "0", p1, "dst2", "60000", p2).AssertOk();
        Assert.Equal("hello", c.Call("GET", "dst1").Text);
        Assert.Equal(-1, c.Call("PTTL", "dst1").AssertInt());
        Assert.Equal("12345", c.Call("GET", "dst2").Text);
        Assert.InRange(c.Call("PTTL", "dst2").AssertInt(), 55000, 60000);
        c.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void Restore_Errors_ChangeNothing()
    {
        using var c = Db(7);
        c.Call("SET", "src", "hello").AssertOk();
        var good = c.Call("DUMP", "src").Bytes!;
        var badCrc = (byte[])good.Clone();
        badCrc[^1] ^= 0xff;
        c.Call("SLOTSRESTORE", "k", "0").AssertError("ERR wrong number of arguments for 'slotsrestore' command");
        c.Call("SLOTSRESTORE", "k", "0", good, "k2").AssertError("ERR wrong number of arguments for 'slotsrestore' command");
        c.Call("SLOTSRESTORE", "k", "-1", good).AssertError("ERR invalid ttl value, must be >= 0");
        c.Call("SLOTSRESTORE", "k", "x", good).AssertError("ERR value is not an integer or out of range");
        c.Call("SLOTSRESTORE", "k", "0", good, "k2", "0", badCrc).AssertError("ERR dump payload version or checksum are wrong");
        c.Call("SLOTSRESTORE", "k", "0", "short").AssertError("ERR dump payload version or checksum are wrong");
        // A payload with a valid footer around a body that is not an RDB value.
        var body = new byte[] { 0, 0xC3, 0xFF };
        c.Call("SLOTSRESTORE", "k", "0", WithFooter(body)).AssertError("ERR bad data format");
        Assert.Equal(0, c.Call("EXISTS", "k", "k2").AssertInt()); // all-or-nothing
    }

    /// <summary>A DUMP footer (RDB version 10, CRC-64 Jones) around <paramref name="body"/>.</summary>
    internal static byte[] WithFooter(byte[] body)
    {
        var withVersion = body.Concat(new byte[] { 10, 0 }).ToArray();
        ulong crc = Codis.Server.Persistence.Crc64.Compute(withVersion);
        return withVersion.Concat(BitConverter.GetBytes(crc)).ToArray();
    }
}
