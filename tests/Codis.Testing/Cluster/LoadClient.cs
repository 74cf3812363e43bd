using Codis.Core.Resp;

namespace Codis.Testing.Cluster;

/// <summary>Pipelined writes and checks through the proxy, and a background client that writes and reads back while a migration runs.</summary>
public static class LoadClient
{
    public static void Load(RespClient c, string prefix, int count, int batch = 200)
    {
        for (int i = 0; i < count; i += batch)
        {
            int n = Math.Min(batch, count - i);
            for (int j = 0; j < n; j++) c.Send([.. new[] { "SET", $"{prefix}{i + j}", $"v{i + j}" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
            c.Flush();
            for (int j = 0; j < n; j++)
            {
                var r = c.Read();
                if (r.Text != "OK") throw new InvalidOperationException($"SET {prefix}{i + j}: {r}");
            }
        }
    }

    /// <summary>Keys whose value is not what <see cref="Load"/> wrote.</summary>
    public static List<string> Missing(RespClient c, string prefix, int count, int batch = 200)
    {
        var bad = new List<string>();
        for (int i = 0; i < count; i += batch)
        {
            int n = Math.Min(batch, count - i);
            for (int j = 0; j < n; j++) c.Send([.. new[] { "GET", $"{prefix}{i + j}" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
            c.Flush();
            for (int j = 0; j < n; j++)
                if (c.Read().Text != $"v{i + j}") bad.Add($"{prefix}{i + j}");
        }
        return bad;
    }

    /// <summary>Writes {prefix}N and reads it back in a loop until stopped (loops run together need prefixes of their own); returns (operations, failures).</summary>
    public static Task<(long Ops, List<string> Failures)> RunAsync(Func<RespClient> connect, CancellationToken stop, string prefix = "live:") => Task.Run(() =>
    {
        var failures = new List<string>();
        long ops = 0;
        using var c = connect();
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                var w = c.Call("SET", $"{prefix}{i % 5000}", $"x{i}");
                var r = c.Call("GET", $"{prefix}{i % 5000}");
                if (w.Text != "OK" || r.Text != $"x{i}") failures.Add($"{prefix}{i % 5000}: SET → {w}, GET → {r}");
                ops += 2;
            }
            catch (IOException e) { failures.Add("I/O: " + e.Message); break; }
            if (failures.Count > 20) break;
        }
        return (ops, failures);
    });
}
