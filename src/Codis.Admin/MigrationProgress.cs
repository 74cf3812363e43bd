using System.Diagnostics;
using System.Text.Json.Nodes;
using Codis.Core.Models;

namespace Codis.Admin;

/// <summary>
/// Follows migrations until the given slots have no action left: a progress bar with keys/s and an ETA on a
/// terminal, plain lines every few seconds otherwise (both on stderr, so stdout keeps only the JSON answer).
/// </summary>
internal static class MigrationProgress
{
    public static async Task WaitAsync(DashboardClient client, IReadOnlyCollection<int> slots, TextWriter output, bool terminal, TimeSpan? limit = null)
    {
        var watched = slots.ToHashSet();
        var sw = Stopwatch.StartNew();
        long firstMoved = -1;
        var lastLine = TimeSpan.Zero;
        string lastError = "";
        while (true)
        {
            var a = await client.GetAsync(DashboardRoutes.Actions).ConfigureAwait(false);
            var left = (a?["actions"] as JsonArray ?? []).Select(x => x!["slot"]!.GetValue<int>()).Where(watched.Contains).ToList();
            long moved = a?["moved_keys"]?.GetValue<long>() ?? 0;
            if (firstMoved < 0) firstMoved = moved;
            long keys = moved - firstMoved;
            string status = a?["status"]?.ToString() ?? "";
            int done = watched.Count - left.Count;
            double secs = Math.Max(sw.Elapsed.TotalSeconds, 0.001);
            double rate = keys / secs;
            string eta = done == 0 ? "?" : TimeSpan.FromSeconds(secs / done * left.Count).ToString(@"hh\:mm\:ss");
            if (status.StartsWith("[ERROR]", StringComparison.Ordinal) && status != lastError)
            {
                lastError = status;
                if (terminal) output.WriteLine();
                output.WriteLine($"migration: {status} (the dashboard retries)");
            }
            if (terminal)
            {
                int width = 30, fill = watched.Count == 0 ? width : done * width / watched.Count;
                output.Write($"\r[{new string('#', fill)}{new string('.', width - fill)}] {done}/{watched.Count} slots  {keys} keys  {rate:0} keys/s  ETA {eta}   ");
            }
            else if (left.Count == 0 || sw.Elapsed - lastLine >= TimeSpan.FromSeconds(2))
            {
                lastLine = sw.Elapsed;
                output.WriteLine($"migration: {done}/{watched.Count} slots done, {keys} keys moved, {rate:0} keys/s, ETA {eta}");
            }
            output.Flush();
            if (left.Count == 0)
            {
                if (terminal) output.WriteLine();
                return;
            }
            if (limit is { } l && sw.Elapsed > l) throw new AdminException($"migration not finished after {l.TotalSeconds:0}s ({left.Count} slots left); it goes on in the dashboard");
            await Task.Delay(terminal ? 250 : 500).ConfigureAwait(false);
        }
    }
}
