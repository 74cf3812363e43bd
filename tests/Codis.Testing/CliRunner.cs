using System.Diagnostics;

namespace Codis.Testing;

/// <summary>The result of one run of a CLI (codis-config, codis-admin).</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs our CLIs as real processes (dotnet &lt;dll&gt; args) in a given folder and captures their output.</summary>
public static class CliRunner
{
    public static CliResult Run(string binary, string workingDirectory, params string[] args) => Run(binary, workingDirectory, TimeSpan.FromSeconds(120), args);

    public static CliResult Run(string binary, string workingDirectory, TimeSpan timeout, params string[] args) =>
        Exec("dotnet", workingDirectory, timeout, [Binaries.Dll(binary), .. args]);

    /// <summary>Runs any program (redis-cli, bash) to its end and captures its output.</summary>
    public static CliResult Exec(string program, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}:\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>codis-config in <paramref name="dir"/> (where its config.ini is).</summary>
    public static CliResult CodisConfig(string dir, params string[] args) => Run("codis-config", dir, args);

    public static CliResult CodisAdmin(string dir, params string[] args) => Run("codis-admin", dir, args);
}
