using Codis.Core.Resp;

namespace Codis.Testing;

/// <summary>A real codis-server process on 127.0.0.1 with a free port (it prints the one it bound) and its own data folder.</summary>
public sealed class CodisServerProcess : ManagedProcess
{
    public int Port { get; private set; }
    public string DataDir { get; }

    private CodisServerProcess(string dataDir, IEnumerable<string> args) : base("dotnet", args, dataDir) => DataDir = dataDir;

    public static CodisServerProcess Start(params string[] extraArgs) => StartIn(null, extraArgs);

    public static CodisServerProcess StartIn(string? dataDir, params string[] extraArgs)
    {
        dataDir ??= Directory.CreateTempSubdirectory("codis-server-").FullName;
        bool hasPort = extraArgs.Contains("--port");
        // A config file (the one argument that is not a flag) must come first, as codis-server reads it.
        string[] file = extraArgs.Length > 0 && !extraArgs[0].StartsWith("--", StringComparison.Ordinal) ? [extraArgs[0]] : [];
        string[] flags = file.Length > 0 ? extraArgs[1..] : extraArgs;
        string[] args = [Binaries.Dll("codis-server"), .. file, .. hasPort ? Array.Empty<string>() : ["--port", "0"], "--dir", dataDir, .. flags];
        var p = new CodisServerProcess(dataDir, args);
        try
        {
            var m = p.WaitForOutput(@"Ready to accept connections.* port=(\d+)", TimeSpan.FromSeconds(30));
            p.Port = int.Parse(m.Groups[1].Value);
            return p;
        }
        catch
        {
            p.Dispose();
            throw;
        }
    }

    public RespClient Client(int timeoutMs = 10000) => new("127.0.0.1", Port, TimeSpan.FromMilliseconds(timeoutMs));
}
