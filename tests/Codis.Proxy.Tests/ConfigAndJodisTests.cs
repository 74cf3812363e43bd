using System.Text.Json;
using Codis.Coordinator;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>The seed's command line and config.ini, the original's proxy.toml, and the jodis registration.</summary>
public class ConfigAndJodisTests
{
    [Fact]
    public void SeedCommandLine_WithConfigIni_AndEnDashFlags()
    {
        using var group = CodisServerProcess.Start();
        string dir = Directory.CreateTempSubdirectory("codis-proxy-seed-").FullName;
        File.WriteAllText(Path.Combine(dir, "config.ini"), """
            coordinator=filesystem
            zk=JODIS_DIR
            product=test
            dashboard_addr=127.0.0.1:18087
            password=
            backend_ping_period=5
            session_max_timeout=1800
            session_max_bufsize=131072
            session_max_pipeline=1024
            zk_session_timeout=30
            proxy_id=proxy_1
            """.Replace("JODIS_DIR", Path.Combine(dir, "coord")));
        File.WriteAllText(Path.Combine(dir, "slots.json"), JsonSerializer.Serialize(CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{group.Port}", 1)));
        // As the seed types it: -c config.ini -L proxy.log –cpu=2 –addr=... –http-addr=... (en dashes).
        using var proxy = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "-c", "config.ini", "-L", "proxy.log", "\u2013cpu=2",
            "\u2013addr=127.0.0.1:0", "\u2013http-addr=127.0.0.1:0", "--fillslots", "slots.json"], dir);
        var log = Path.Combine(dir, "proxy.log");
        string text = WaitForFile(log, "proxy is online", proxy);
        Assert.Contains("product=test", text);
        Assert.Contains("proxy_id=proxy_1", text);
        int port = int.Parse(System.Text.RegularExpressions.Regex.Match(text, @"proxy_addr=127\.0\.0\.1:(\d+)").Groups[1].Value);
        using var c = new Codis.Core.Resp.RespClient("127.0.0.1", port, TimeSpan.FromSeconds(10));
        Assert.Equal("OK", c.Call("SET", "seed", "1").Text);
        Assert.Contains("product_name:test", c.Call("INFO", "proxy").Text);
        Assert.Contains("proxy_id:proxy_1", c.Call("INFO", "proxy").Text);
        // session_max_pipeline=1024 only bounds a batch: a longer pipeline is still answered in full.
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 3000; i++) sb.Append("*1\r\n$4\r\nPING\r\n");
        c.SendRaw(System.Text.Encoding.ASCII.GetBytes(sb.ToString()));
        for (int i = 0; i < 3000; i++) Assert.Equal("PONG", c.Read().Text);
    }

    [Fact]
    public void OriginalProxyToml_IsAccepted()
    {
        string dir = Directory.CreateTempSubdirectory("codis-proxy-toml-").FullName;
        File.WriteAllText(Path.Combine(dir, "proxy.toml"), """
            product_name = "codis-demo"
            product_auth = ""
            session_auth = ""
            admin_addr = "127.0.0.1:0"
            proto_type = "tcp4"
            proxy_addr = "127.0.0.1:0"
            jodis_name = ""
            jodis_addr = ""
            jodis_auth = ""
            jodis_timeout = "20s"
            jodis_compatible = false
            proxy_datacenter = ""
            proxy_max_clients = 1000
            proxy_max_offheap_size = "1024mb"
            proxy_heap_placeholder = "256mb"
            backend_ping_period = "5s"
            backend_recv_bufsize = "128kb"
            backend_recv_timeout = "30s"
            backend_send_bufsize = "128kb"
            backend_send_timeout = "30s"
            backend_max_pipeline = 20480
            backend_primary_only = false
            backend_primary_parallel = 1
            backend_replica_parallel = 1
            backend_keepalive_period = "75s"
            backend_number_databases = 16
            session_recv_bufsize = "128kb"
            session_recv_timeout = "30m"
            session_send_bufsize = "64kb"
            session_send_timeout = "30s"
            session_max_pipeline = 10000
            session_keepalive_period = "75s"
            session_break_on_failure = false
            metrics_report_server = ""
            metrics_report_period = "1s"
            metrics_report_influxdb_server = ""
            metrics_report_influxdb_period = "1s"
            metrics_report_influxdb_username = ""
            metrics_report_influxdb_password = ""
            metrics_report_influxdb_database = ""
            metrics_report_statsd_server = ""
            metrics_report_statsd_period = "1s"
            metrics_report_statsd_prefix = ""
            """);
        using var proxy = CodisProxyProcess.Start(dir, ["-c", Path.Combine(dir, "proxy.toml")], waitOnline: false);
        Assert.Contains("waiting for the dashboard", proxy.Output);

        File.WriteAllText(Path.Combine(dir, "bad.toml"), "session_max_pipeline = \"many\"\nno_such_key = 1\n");
        using var bad = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "-c", "bad.toml"], dir);
        Assert.True(bad.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("session_max_pipeline", bad.Output);
        Assert.Contains("no_such_key", bad.Output);
    }

    [Fact]
    public async Task Jodis_EphemeralNodeWhileOnline_GoneAfterShutdown()
    {
        using var group = CodisServerProcess.Start();
        string dir = Directory.CreateTempSubdirectory("codis-proxy-jodis-").FullName;
        string root = Path.Combine(dir, "coord");
        var slots = CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{group.Port}", 1);
        File.WriteAllText(Path.Combine(dir, "slots.json"), JsonSerializer.Serialize(slots));
        using var proxy = CodisProxyProcess.Start(dir, ["--product_name", "jd", "--jodis_name", "filesystem", "--jodis_addr", root,
            "--fillslots", Path.Combine(dir, "slots.json")], waitOnline: true);
        proxy.WaitForOutput("jodis node created", TimeSpan.FromSeconds(20));
        var (_, model) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy/model");
        string token = model.GetProperty("token").GetString()!;
        Assert.Equal($"/jodis/jd/proxy-{token}", model.GetProperty("jodis_path").GetString());

        await using (var coord = await CoordinatorFactory.OpenAsync(new CoordinatorOptions { Name = "filesystem", Address = root }))
        {
            var node = await coord.ReadAsync($"/jodis/jd/proxy-{token}");
            Assert.NotNull(node);
            using var doc = JsonDocument.Parse(node!.Data);
            Assert.Equal($"127.0.0.1:{proxy.Port}", doc.RootElement.GetProperty("addr").GetString());
            Assert.Equal(proxy.AdminAddr, doc.RootElement.GetProperty("admin").GetString());
            Assert.Equal(token, doc.RootElement.GetProperty("token").GetString());
            Assert.Equal("online", doc.RootElement.GetProperty("state").GetString());
            Assert.Contains("\n    \"addr\"", node.Text); // indented with 4 spaces, as the original
        }

        Assert.True(proxy.Terminate(TimeSpan.FromSeconds(15)));
        Assert.Contains("jodis node deleted", proxy.Output);
        await using (var coord = await CoordinatorFactory.OpenAsync(new CoordinatorOptions { Name = "filesystem", Address = root }))
            Assert.Null(await coord.ReadAsync($"/jodis/jd/proxy-{token}"));
    }

    private static string WaitForFile(string path, string text, ManagedProcess p)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (File.Exists(path))
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                string s = new StreamReader(fs).ReadToEnd();
                if (s.Contains(text)) return s;
            }
            if (p.HasExited) throw new InvalidOperationException("proxy exited:\n" + p.Output);
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no '{text}' in {path}:\n{p.Output}");
    }
}
