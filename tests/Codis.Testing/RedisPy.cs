namespace Codis.Testing;

/// <summary>
/// Runs a script with the real redis-py: Debian's python3-redis under /usr/bin/python3 (test.sh installs it; a
/// python3 earlier on PATH, e.g. pyenv's, would not see Debian's packages).
/// </summary>
public static class RedisPy
{
    public const string Python = "/usr/bin/python3";

    public static bool Installed => File.Exists("/usr/lib/python3/dist-packages/redis/__init__.py") && File.Exists(Python);

    /// <summary>Runs <paramref name="script"/> with PORT replaced by <paramref name="port"/>; returns the exit code and all output.</summary>
    public static (int Code, string Output) Run(int port, string script, int timeoutMs = 60_000)
    {
        string dir = Directory.CreateTempSubdirectory("redis-py-").FullName;
        try
        {
            string file = Path.Combine(dir, "check.py");
            File.WriteAllText(file, script.Replace("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var r = CliRunner.Exec(Python, dir, TimeSpan.FromMilliseconds(timeoutMs), file);
            return (r.ExitCode, r.Stdout + r.Stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

/// <summary>A fact that is skipped, with the reason shown, when Debian's python3-redis is not installed.</summary>
public sealed class NeedsRedisPyFactAttribute : Xunit.FactAttribute
{
    public NeedsRedisPyFactAttribute()
    {
        if (!RedisPy.Installed) Skip = "Debian's python3-redis is not installed (test.sh installs it: apt-get install python3-redis)";
    }
}
