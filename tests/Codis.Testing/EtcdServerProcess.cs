using System.Diagnostics;

namespace Codis.Testing;

/// <summary>
/// A real etcd (Debian's etcd-server, /usr/bin/etcd) on free loopback ports with its data in a temp folder.
/// Stop() kills it (-9) and Start() brings it back on the same ports and data, for outage tests.
/// </summary>
public class EtcdServerProcess : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("codis-etcd-").FullName;
    private ManagedProcess? process;

    public EtcdServerProcess()
    {
        ClientPort = ManagedProcess.FreePort();
        PeerPort = ManagedProcess.FreePort();
        Start();
    }

    public int ClientPort { get; }
    public int PeerPort { get; }
    public string Address => $"127.0.0.1:{ClientPort}";

    public static string Binary => File.Exists("/usr/bin/etcd") ? "/usr/bin/etcd" : "etcd";

    public void Start()
    {
        if (process != null) throw new InvalidOperationException("etcd is already running");
        string client = $"http://127.0.0.1:{ClientPort}", peer = $"http://127.0.0.1:{PeerPort}";
        process = new ManagedProcess(Binary,
        [
            "--name", "test", "--data-dir", Path.Combine(dataDir, "data"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"test={peer}",
            "--logger", "zap", "--log-level", "warn",
        ]);
        WaitHealthy(TimeSpan.FromSeconds(30));
    }

    /// <summary>kill -9: no goodbye to clients.</summary>
    public void Stop()
    {
        process?.Kill();
        process?.Dispose();
        process = null;
    }

    private void WaitHealthy(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                string body = http.GetStringAsync($"http://127.0.0.1:{ClientPort}/health").GetAwaiter().GetResult();
                if (body.Contains("\"true\"")) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (process!.HasExited) throw new InvalidOperationException($"etcd exited ({process.ExitCode}):\n{process.Output}");
            if (sw.Elapsed > timeout) throw new TimeoutException($"etcd not healthy within {timeout}:\n{process.Output}");
            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Stop();
        try { Directory.Delete(dataDir, recursive: true); }
        catch (IOException) { }
    }
}
