using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Codis.Testing;

/// <summary>
/// Debian's real ZooKeeper 3.8 (standalone) on a free loopback port, started by the tests (reference/coordinators.md
/// §1.2): config file with clientPortAddress=127.0.0.1, AdminServer off, data in a temp folder kept across
/// <see cref="Restart"/> so sessions and nodes survive a restart. tickTime bounds session timeouts to [2, 20] ticks.
/// </summary>
public sealed class ZooKeeperServerProcess : IDisposable
{
    private const string Jars = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";
    private ManagedProcess? process;

    public int Port { get; }
    public int TickMs { get; }
    public string Dir { get; }
    public string Address => $"127.0.0.1:{Port}";
    public bool Running => process is { HasExited: false };

    public static bool Available => File.Exists("/usr/share/java/zookeeper.jar") && File.Exists("/usr/bin/java");

    private ZooKeeperServerProcess(int port, int tickMs, string dir)
    {
        Port = port;
        TickMs = tickMs;
        Dir = dir;
    }

    public static ZooKeeperServerProcess Start(int tickMs = 500)
    {
        string dir = Directory.CreateTempSubdirectory("zk-peer-").FullName;
        for (int attempt = 0; ; attempt++)
        {
            var zk = new ZooKeeperServerProcess(ManagedProcess.FreePort(), tickMs, dir);
            try
            {
                zk.Launch();
                return zk;
            }
            catch (Exception) when (attempt < 2 && zk.process?.Output.Contains("Address already in use") == true)
            {
                zk.Stop();
            }
        }
    }

    private void Launch()
    {
        Directory.CreateDirectory(Path.Combine(Dir, "data"));
        File.WriteAllText(Path.Combine(Dir, "zoo.cfg"), new StringBuilder()
            .AppendLine($"tickTime={TickMs}")
            .AppendLine($"dataDir={Path.Combine(Dir, "data")}")
            .AppendLine($"clientPort={Port}")
            .AppendLine("clientPortAddress=127.0.0.1")
            .AppendLine("maxClientCnxns=0")
            .AppendLine("admin.enableServer=false")
            .AppendLine("4lw.commands.whitelist=ruok,srvr,stat,mntr,cons")
            .ToString());
        process = new ManagedProcess("java",
            ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", $"-Dzookeeper.log.dir={Dir}",
             "-cp", Jars, "org.apache.zookeeper.server.ZooKeeperServerMain", Path.Combine(Dir, "zoo.cfg")], Dir);
        var sw = Stopwatch.StartNew();
        // ruok answers imok while the server is still loading its data (and dropping sessions); srvr reports
        // the mode only once it serves requests.
        while (FourLetterWord("srvr")?.Contains("Mode: standalone") != true)
        {
            if (process.HasExited) throw new InvalidOperationException($"zookeeper exited ({process.ExitCode}):\n{process.Output}");
            if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"zookeeper not ready in 30 s:\n{process.Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Sends a four-letter word; the answer, or null when the server does not answer.</summary>
    public string? FourLetterWord(string word)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect("127.0.0.1", Port);
            c.ReceiveTimeout = 2000;
            var s = c.GetStream();
            s.Write(Encoding.ASCII.GetBytes(word));
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return Encoding.ASCII.GetString(ms.ToArray());
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>A metric from mntr (e.g. zk_ephemerals_count).</summary>
    public long? Metric(string name)
    {
        foreach (var line in (FourLetterWord("mntr") ?? "").Split('\n'))
        {
            var parts = line.Split('\t');
            if (parts.Length == 2 && parts[0] == name && long.TryParse(parts[1], out var v)) return v;
        }
        return null;
    }

    /// <summary>SIGSTOP: the port still accepts TCP connections (kernel backlog) but nothing answers.</summary>
    public void Pause()
    {
        if (process == null) return;
        process.Signal(19);
        // The signal is asynchronous: wait until every thread has stopped (state T) so nothing slips through.
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(5) && !Stopped(process.Pid)) Thread.Sleep(5);
    }

    private static bool Stopped(int pid)
    {
        try
        {
            foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                char state = stat[stat.LastIndexOf(')') + 2];
                if (state != 'T' && state != 't') return false;
            }
            return true;
        }
        catch (IOException)
        {
            return true; // gone
        }
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => process?.Signal(18);

    /// <summary>Stops the server (kill -9 when <paramref name="hard"/>), keeping its data.</summary>
    public void Stop(bool hard = true)
    {
        if (process == null) return;
        Resume(); // a paused JVM would not act on SIGTERM
        if (hard) process.Kill();
        process.Dispose();
        process = null;
    }

    /// <summary>Starts it again on the same port with the same data (sessions survive).</summary>
    public void Restart(bool hard = true)
    {
        Stop(hard);
        Launch();
    }

    public string Output => process?.Output ?? "";

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException) { }
    }
}
