namespace Codis.Server.Tests.Admin;

/// <summary>Redis Cluster's connection commands, refused as by a redis-server 7.0 without cluster-enabled.</summary>
public class ClusterDisabledTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void ReadonlyReadwriteAsking_SameAsRedis() => fx.AssertSame("""
        READONLY
        READWRITE
        ASKING
        READONLY x
        READWRITE x
        ASKING x
        COMMAND INFO readonly readwrite asking
        COMMAND GETKEYS readonly
        """);
}
