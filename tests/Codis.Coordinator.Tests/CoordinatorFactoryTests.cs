using Codis.Coordinator.Etcd;
using Codis.Coordinator.FileSystem;

namespace Codis.Coordinator.Tests;

public sealed class CoordinatorFactoryTests
{
    [Theory]
    [InlineData("filesystem")]
    [InlineData("fs")]
    [InlineData(" FileSystem ")]
    public async Task Filesystem_names_open_the_filesystem_backend(string name)
    {
        string root = Directory.CreateTempSubdirectory("codis-factory-").FullName;
        try
        {
            await using var c = await CoordinatorFactory.OpenAsync(new CoordinatorOptions { Name = name, Address = root });
            Assert.IsType<FileSystemCoordinator>(c);
            Assert.Equal("filesystem", c.Kind);
            Assert.Equal(root, c.Address);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Unknown_names_are_refused_with_the_choices()
    {
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => CoordinatorFactory.OpenAsync(new CoordinatorOptions { Name = "consul" }));
        Assert.Contains("consul", e.Message);
        Assert.Contains("etcd", e.Message);
    }

    [Fact]
    public void Normalize_knows_the_short_names()
    {
        Assert.Equal("filesystem", CoordinatorFactory.Normalize("fs"));
        Assert.Equal("zookeeper", CoordinatorFactory.Normalize("ZK"));
        Assert.Equal("etcd", CoordinatorFactory.Normalize("etcd"));
    }

    [Fact]
    public void Codis3_toml_keys_map_to_options()
    {
        var o = CoordinatorConfig.FromKeys(new Dictionary<string, string>
        {
            ["coordinator_name"] = "zk", ["coordinator_addr"] = "10.0.0.1:2181,10.0.0.2:2181", ["coordinator_auth"] = "u:p",
        });
        Assert.Equal("zookeeper", o.Name);
        Assert.Equal("10.0.0.1:2181,10.0.0.2:2181", o.Address);
        Assert.Equal("u:p", o.Auth);
        Assert.Equal(new CoordinatorOptions().SessionTimeout, o.SessionTimeout);
    }

    [Fact]
    public void Codis2_config_ini_keys_map_to_options()
    {
        var o = CoordinatorConfig.FromKeys(new Dictionary<string, string> { ["coordinator"] = "zookeeper", ["zk"] = "127.0.0.1:2181", ["zk_session_timeout"] = "30" });
        Assert.Equal("zookeeper", o.Name);
        Assert.Equal("127.0.0.1:2181", o.Address);
        Assert.Equal(TimeSpan.FromSeconds(30), o.SessionTimeout); // ≤ 100: seconds
        Assert.Equal(TimeSpan.FromMilliseconds(30000), CoordinatorConfig.ParseZkSessionTimeout("30000"));
        Assert.Throws<ArgumentException>(() => CoordinatorConfig.ParseZkSessionTimeout("-5"));
        Assert.Throws<ArgumentException>(() => CoordinatorConfig.FromKeys(new Dictionary<string, string> { ["coordinator"] = "redis" }));
        Assert.Equal("filesystem", CoordinatorConfig.FromKeys(new Dictionary<string, string>()).Name);
    }

    [Fact]
    public void Etcd_addresses_get_http_prefixed()
    {
        Assert.Equal("http://a:1,http://b:2,https://c:3", EtcdConnection.ConnectionString("a:1, b:2,https://c:3"));
        Assert.Throws<ArgumentException>(() => EtcdConnection.ConnectionString(" , "));
    }
}
