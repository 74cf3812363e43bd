using System.Text;
using Codis.Coordinator.ZooKeeper.Client;
using Codis.Coordinator.ZooKeeper.Jute;
using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>The jute encoder/decoder against the byte vectors of reference/coordinators.md §1.3 and §1.6.</summary>
public class JuteEncodingTests
{
    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);
    private static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void ConnectRequest_of_a_new_session_is_the_45_byte_vector()
    {
        using var w = new JuteWriter();
        new ConnectRequest(0, 30000, 0, new byte[16]).WriteFrame(w);
        Assert.Equal(49, w.Length);
        Assert.Equal("0000002d 00000000 0000000000000000 00007530 0000000000000000 00000010 00000000000000000000000000000000 00".Replace(" ", ""),
            Hex(w.WrittenSpan));
    }

    [Fact]
    public void Create_of_codis3_with_the_open_acl_matches_the_vector()
    {
        using var w = ZkRequests.Frame(1, ZkOpCode.Create, b => ZkRequests.WriteCreate(b, "/codis3", [], ZkAcl.OpenUnsafe, ZkCreateMode.Persistent));
        Assert.Equal(("00000036 00000001 00000001 00000007 2f636f64697333 00000000 00000001 0000001f " +
                      "00000005 776f726c64 00000006 616e796f6e65 00000000").Replace(" ", ""), Hex(w.WrittenSpan));
    }

    [Fact]
    public void GetData_with_watch_and_ping_match_the_vectors()
    {
        using var get = ZkRequests.Frame(2, ZkOpCode.GetData, b => ZkRequests.WritePathWatch(b, "/codis3", true));
        Assert.Equal("00000014000000020000000400000007" + "2f636f6469733301", Hex(get.WrittenSpan));
        using var ping = ZkRequests.Frame(ZkXid.Ping, ZkOpCode.Ping, null);
        Assert.Equal("00000008fffffffe0000000b", Hex(ping.WrittenSpan));
    }

    [Fact]
    public void Ephemeral_sequential_create_carries_flag_3_and_a_digest_acl()
    {
        var acl = ZkAcl.Digest("codis:secret");
        using var w = ZkRequests.Frame(7, ZkOpCode.Create, b => ZkRequests.WriteCreate(b, "/p-", "x"u8, acl, ZkCreateMode.EphemeralSequential));
        var r = new JuteReader(w.WrittenSpan[4..]);
        Assert.Equal(7, r.ReadInt());
        Assert.Equal(1, r.ReadInt());
        Assert.Equal("/p-", r.ReadString());
        Assert.Equal("x"u8.ToArray(), r.ReadBuffer());
        Assert.Equal(1, r.ReadInt());
        Assert.Equal(31, r.ReadInt());
        Assert.Equal("digest", r.ReadString());
        Assert.Equal("codis:LACPGoaE5WicGIz40M17qaB5q6c=", r.ReadString()); // as DigestAuthenticationProvider prints it
        Assert.Equal(3, r.ReadInt());
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void Multi_request_is_headers_and_bodies_ending_with_done()
    {
        using var w = new JuteWriter();
        ZkMulti.WriteRequest(w, [ZkOp.Check("/a", 1), ZkOp.Delete("/a")], ZkAcl.OpenUnsafe);
        Assert.Equal(("0000000d 00 ffffffff 00000002 2f61 00000001 " +
                      "00000002 00 ffffffff 00000002 2f61 ffffffff " +
                      "ffffffff 01 ffffffff").Replace(" ", ""), Hex(w.WrittenSpan));
    }

    [Fact]
    public void Failed_multi_response_reads_as_error_results()
    {
        // [check ok, check wrong version, delete] as the server answers it: every result is an ErrorResponse.
        var body = Bytes("ffffffff 00 ffffffff 00000000  ffffffff 00 ffffffff ffffff99  ffffffff 00 ffffffff fffffffe  ffffffff 01 ffffffff");
        var r = new JuteReader(body);
        var results = ZkMulti.ReadResponse(ref r);
        Assert.Equal([ZkErrorCode.Ok, ZkErrorCode.BadVersion, ZkErrorCode.RuntimeInconsistency], results.Select(x => x.Error));
        Assert.All(results, x => Assert.Equal(ZkOpCode.Error, x.Type));
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void ConnectResponse_reads_with_and_without_the_read_only_byte()
    {
        string common = "00000000 00002710 0123456789abcdef 00000010 " + new string('a', 32);
        foreach (var hex in new[] { common + " 00", common })
        {
            var r = new JuteReader(Bytes(hex));
            var resp = ConnectResponse.Read(ref r);
            Assert.Equal(10000, resp.TimeoutMs);
            Assert.Equal(0x0123456789abcdefL, resp.SessionId);
            Assert.Equal(Enumerable.Repeat((byte)0xaa, 16), resp.Password);
            Assert.False(resp.ReadOnly);
            Assert.False(resp.Expired);
        }
        var expired = new JuteReader(Bytes("00000000 00000000 0000000000000000 00000010 " + new string('0', 32) + " 00"));
        Assert.True(ConnectResponse.Read(ref expired).Expired);
    }

    [Fact]
    public void Stat_is_68_bytes_in_declaration_order()
    {
        var stat = new ZkStat(1, 2, 3, 4, 5, 6, 7, 0x1122334455667788, 9, 10, 11);
        using var w = new JuteWriter();
        stat.Write(w);
        Assert.Equal(68, w.Length);
        Assert.Equal("0000000000000001", Hex(w.WrittenSpan[..8]));
        Assert.Equal("00000005", Hex(w.WrittenSpan[32..36]));
        Assert.Equal("1122334455667788", Hex(w.WrittenSpan[44..52]));
        var r = new JuteReader(w.WrittenSpan);
        Assert.Equal(stat, ZkStat.Read(ref r));
    }

    [Fact]
    public void Strings_and_buffers_use_minus_one_for_null_and_utf8_for_text()
    {
        using var w = new JuteWriter(4); // grows
        w.WriteString(null);
        w.WriteString("é/ü");
        w.WriteNullBuffer();
        w.WriteStringVector(["a", "bc"]);
        Assert.Equal("ffffffff" + "00000005" + Hex(Encoding.UTF8.GetBytes("é/ü")) + "ffffffff" + "00000002" + "0000000161" + "000000026263",
            Hex(w.WrittenSpan));
        var r = new JuteReader(w.WrittenSpan);
        Assert.Null(r.ReadString());
        Assert.Equal("é/ü", r.ReadString());
        Assert.Empty(r.ReadBuffer());
        Assert.Equal(["a", "bc"], r.ReadStringVector());
    }

    [Fact]
    public void Truncated_or_lying_lengths_are_protocol_errors()
    {
        Assert.Throws<ZkProtocolException>(() => new JuteReader(Bytes("000000")).ReadInt());
        Assert.Throws<ZkProtocolException>(() => new JuteReader(Bytes("00000009 6162")).ReadString());
        Assert.Throws<ZkProtocolException>(() => new JuteReader(Bytes("fffffffe")).ReadBuffer());
    }

    [Theory]
    [InlineData("127.0.0.1:2181", "127.0.0.1", 2181)]
    [InlineData("zk1", "zk1", 2181)]
    [InlineData("[::1]:2182", "::1", 2182)]
    public void Server_addresses_parse(string entry, string host, int port)
    {
        Assert.Equal(new ZkServerAddress(host, port), ZkServerAddress.Parse(entry));
    }

    [Theory]
    [InlineData("host:0")]
    [InlineData("host:x")]
    [InlineData("host:2181/chroot")]
    [InlineData(":2181")]
    public void Bad_server_addresses_are_rejected(string entry)
    {
        Assert.Throws<ArgumentException>(() => ZkServerAddress.ParseList(entry));
    }

    [Fact]
    public void A_server_list_keeps_its_order()
    {
        Assert.Equal([new ZkServerAddress("a", 1), new ZkServerAddress("b", 2181)], ZkServerAddress.ParseList("a:1, b"));
    }
}
