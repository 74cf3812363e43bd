using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Codis.Testing;

/// <summary>
/// A real process started by a test (our binaries, redis-server, zookeeper...): output captured, stopped by PID
/// (SIGTERM, then kill) on Dispose. Never stops anything it did not start.
/// </summary>
public class ManagedProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly object gate = new();

    public ManagedProcess(string fileName, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (gate) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (gate) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    public string Output
    {
        get { lock (gate) return output.ToString(); }
    }

    /// <summary>Waits until the output matches a pattern; returns the match.</summary>
    public Match WaitForOutput(string pattern, TimeSpan timeout)
    {
        var re = new Regex(pattern);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            var m = re.Match(Output);
            if (m.Success) return m;
            if (process.HasExited)
            {
                DrainOutput();
                m = re.Match(Output);
                if (m.Success) return m;
                throw new InvalidOperationException($"process exited ({process.ExitCode}) before printing /{pattern}/:\n{Output}");
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no /{pattern}/ within {timeout}:\n{Output}");
    }

    /// <summary>Waits for the exit and then for the redirected output to drain (so <see cref="Output"/> is complete).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout)) return false;
        DrainOutput();
        return true;
    }

    /// <summary>
    /// After the exit, waits (bounded) until the redirected streams reach EOF so the last lines are captured;
    /// only the parameterless WaitForExit does that, and a grandchild holding the pipe would block it forever.
    /// </summary>
    private void DrainOutput() => Task.Run(() => process.WaitForExit()).Wait(TimeSpan.FromSeconds(5));

    /// <summary>SIGTERM (graceful) and wait.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        if (process.HasExited) return true;
        Signal(15);
        return process.WaitForExit(timeout);
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit(5000);
    }

    public void Signal(int signal)
    {
        if (!process.HasExited) _ = sys_kill(process.Id, signal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int sys_kill(int pid, int sig);

    public virtual void Dispose()
    {
        try
        {
            if (!Terminate(TimeSpan.FromSeconds(5))) Kill();
        }
        catch (InvalidOperationException) { }
        process.Dispose();
        GC.SuppressFinalize(this);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static void WaitForPort(int port, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (sw.Elapsed < timeout)
            {
                Thread.Sleep(50);
            }
        }
    }
}
