using Codis.Server.Introspection;

namespace Codis.Server.Commands;

/// <summary>
/// LATENCY: the latency monitor's events (LATEST, HISTORY, RESET, GRAPH, DOCTOR) and the per-command latency
/// histograms (HISTOGRAM), with Redis 7.0's replies.
/// </summary>
internal static class LatencyCommand
{
    private static readonly string[] Help =
    [
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];

    private const CommandFlags AdminFlags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;

    [Command("latency", -2, Flags = AdminFlags, Group = "server", Summary = "A container for latency diagnostics commands.")]
    [Subcommand("latency", "doctor", 2, Flags = AdminFlags, Tips = "nondeterministic_output request_policy:all_nodes response_policy:special", Summary = "Returns a human-readable latency analysis report.")]
    [Subcommand("latency", "graph", 3, Flags = AdminFlags, Tips = "nondeterministic_output request_policy:all_nodes response_policy:special", Summary = "Returns a latency graph for an event.")]
    [Subcommand("latency", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("latency", "histogram", -2, Flags = AdminFlags, Tips = "nondeterministic_output request_policy:all_nodes response_policy:special", Summary = "Returns the cumulative distribution of latencies of a subset or all commands.")]
    [Subcommand("latency", "history", 3, Flags = AdminFlags, Tips = "nondeterministic_output request_policy:all_nodes response_policy:special", Summary = "Returns timestamp-latency samples for an event.")]
    [Subcommand("latency", "latest", 2, Flags = AdminFlags, Tips = "nondeterministic_output request_policy:all_nodes response_policy:special", Summary = "Returns the latest latency samples for all events.")]
    [Subcommand("latency", "reset", -2, Flags = AdminFlags, Tips = "request_policy:all_nodes response_policy:all_succeeded", Summary = "Resets the latency data for one or more events.")]
    public static void Latency(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        if (!ServerCommands.CheckSubcommand(ctx, "latency", sub)) return;
        var monitor = ctx.Server.Latency;
        var r = ctx.Reply;
        switch (sub)
        {
            case "latest":
                var all = monitor.All();
                r.WriteArrayHeader(all.Count);
                foreach (var e in all)
                {
                    var last = e.Samples[^1];
                    r.WriteArrayHeader(4);
                    r.WriteBulk(e.Event);
                    r.WriteInteger(last.UnixSeconds);
                    r.WriteInteger(last.Milliseconds);
                    r.WriteInteger(e.Max);
                }
                break;
            case "history":
                var samples = monitor.Find(ctx.ArgString(2))?.Samples ?? [];
                r.WriteArrayHeader(samples.Length);
                foreach (var s in samples)
                {
                    r.WriteArrayHeader(2);
                    r.WriteInteger(s.UnixSeconds);
                    r.WriteInteger(s.Milliseconds);
                }
                break;
            case "reset":
                var names = new List<string>();
                for (int i = 2; i < ctx.ArgCount; i++) names.Add(ctx.ArgString(i));
                r.WriteInteger(monitor.Reset(names));
                break;
            case "graph":
                string name = ctx.ArgString(2);
                if (monitor.Find(name) is not { } series)
                {
                    ctx.Error($"ERR No samples available for event '{name}'");
                    return;
                }
                r.WriteVerbatim(LatencyGraph.Render(series, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
                break;
            case "doctor":
                r.WriteVerbatim(LatencyDoctor.Report(monitor.All(), monitor.ThresholdMs,
                    ctx.Server.Settings["slowlog-log-slower-than"].AsLong, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
                break;
            case "histogram":
                Histogram(ctx);
                break;
            case "help":
                Subcommands.WriteHelp(ctx, Help);
                break;
        }
    }

    /// <summary>
    /// Per command: its calls and, at each power of two from 1 µs, how many of them took up to that long. Named
    /// commands are reported in the order asked (a container stands for its subcommands); unknown names and
    /// commands not called since the last CONFIG RESETSTAT are left out.
    /// </summary>
    private static void Histogram(CommandContext ctx)
    {
        var chosen = new List<CommandSpec>();
        if (ctx.ArgCount == 2) chosen.AddRange(CommandTable.AllWithSubcommands);
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            string name = ctx.ArgString(i);
            int bar = name.IndexOf('|');
            var spec = CommandTable.Find(bar < 0 ? name : name[..bar]);
            if (spec == null) continue;
            if (bar < 0) chosen.AddRange(spec.Subcommands.Prepend(spec));
            else if (spec.FindSubcommand(System.Text.Encoding.UTF8.GetBytes(name[(bar + 1)..])) is { } sub) chosen.Add(sub);
        }
        chosen.RemoveAll(static c => c.Latency is not { Total: > 0 });
        var r = ctx.Reply;
        r.WriteMapHeader(chosen.Count);
        foreach (var spec in chosen)
        {
            var histogram = spec.Latency!;
            r.WriteBulk(spec.Name);
            r.WriteMapHeader(2);
            r.WriteBulk("calls"u8);
            r.WriteInteger(histogram.Total);
            r.WriteBulk("histogram_usec"u8);
            var buckets = histogram.PowerOfTwoBuckets();
            r.WriteMapHeader(buckets.Count);
            foreach (var (micros, calls) in buckets)
            {
                r.WriteInteger(micros);
                r.WriteInteger(calls);
            }
        }
    }
}
