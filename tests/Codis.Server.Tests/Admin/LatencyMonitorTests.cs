using System.Text.RegularExpressions;
using Codis.Core.Resp;
using Codis.Server.Introspection;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

/// <summary>
/// LATENCY's event monitor next to redis-server 7.0: latency-monitor-threshold, events made with DEBUG SLEEP,
/// LATEST / HISTORY / RESET / GRAPH / DOCTOR replies and errors. Tests of this class share both servers and run
/// one at a time; each starts from LATENCY RESET.
/// </summary>
public class LatencyMonitorTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    /// <summary>A reply with every number replaced by N: timings and timestamps differ, the shape must not.</summary>
    private static string Shape(RespValue v) => Regex.Replace(v.ToString(), @"\d+", "N");

    private void OnBoth(params object[] command)
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        Assert.Equal(theirs.Call(command).ToString(), ours.Call(command).ToString());
    }

    private void FreshStart(long thresholdMs)
    {
        OnBoth("CONFIG", "SET", "latency-monitor-threshold", thresholdMs);
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        ours.Call("LATENCY", "RESET");
        theirs.Call("LATENCY", "RESET");
    }

    [Fact]
    public void Threshold_DefaultErrorsAndLimits_AsRedis()
    {
        FreshStart(0);
        fx.AssertSame("""
            CONFIG GET latency-monitor-threshold
            CONFIG SET latency-monitor-threshold -1
            CONFIG SET latency-monitor-threshold abc
            CONFIG SET latency-monitor-threshold 1.5
            CONFIG SET latency-monitor-threshold 9223372036854775808
            CONFIG SET latency-monitor-threshold 9223372036854775807
            CONFIG GET latency-monitor-threshold
            CONFIG SET latency-monitor-threshold 0
            CONFIG GET latency-monitor-threshold
            """);
    }

    [Fact]
    public void Subcommands_ArityUnknownAndHelp_AsRedis()
    {
        FreshStart(0);
        fx.AssertSame("""
            LATENCY
            LATENCY FOO
            LATENCY HELP
            LATENCY HELP extra
            LATENCY LATEST
            LATENCY LATEST extra
            LATENCY HISTORY
            LATENCY HISTORY command extra
            LATENCY HISTORY nosuch
            LATENCY GRAPH
            LATENCY GRAPH nosuch
            LATENCY DOCTOR extra
            LATENCY RESET
            LATENCY RESET nosuch other
            MULTI
            LATENCY NOSUCH
            EXEC
            """);
    }

    [Fact]
    public void Off_NothingIsRecorded_DoctorSaysHowToTurnItOn()
    {
        FreshStart(0);
        using var c = fx.Client();
        c.Call("DEBUG", "SLEEP", "0.05").AssertOk();
        Assert.Empty(c.Call("LATENCY", "LATEST").Items!);
        Assert.Contains("CONFIG SET latency-monitor-threshold <milliseconds>", c.Call("LATENCY", "DOCTOR").Text);
    }

    [Fact]
    public void DebugSleep_IsACommandEvent_RepliesShapedAsRedis()
    {
        FreshStart(50);
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("DEBUG", "SLEEP", "0.001").AssertOk(); // below the threshold: not an event
            c.Call("DEBUG", "SLEEP", "0.12").AssertOk();
        }
        string[][] commands = [["LATENCY", "LATEST"], ["LATENCY", "HISTORY", "command"], ["LATENCY", "GRAPH", "command"]];
        foreach (var command in commands)
            Assert.Equal(Shape(theirs.Call(command)), Shape(ours.Call(command)));

        var latest = ours.Call("LATENCY", "LATEST").Items!.Single().Items!;
        Assert.Equal("command", latest[0].Text);
        Assert.InRange(latest[1].Integer, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.InRange(latest[2].Integer, 120, 1000);
        Assert.Equal(latest[2].Integer, latest[3].Integer);
        var history = ours.Call("LATENCY", "HISTORY", "command").Items!.Single().Items!;
        Assert.Equal(latest[1].Integer, history[0].Integer);
        Assert.Equal(latest[2].Integer, history[1].Integer);

        // Event names are exact for HISTORY and GRAPH, any case for RESET, which counts the events it removed: a
        // name given twice, or unknown, counts once or not at all.
        foreach (var c in new[] { ours, theirs })
        {
            Assert.Empty(c.Call("LATENCY", "HISTORY", "COMMAND").Items!);
            c.Call("LATENCY", "GRAPH", "Command").AssertError("ERR No samples available for event 'Command'");
            Assert.Equal(1, c.Call("LATENCY", "RESET", "COMMAND", "nosuch", "command").AssertInt());
        }
        Assert.Empty(ours.Call("LATENCY", "LATEST").Items!);
        Assert.Equal(0, ours.Call("LATENCY", "RESET").AssertInt());
        ours.Call("LATENCY", "GRAPH", "command").AssertError("ERR No samples available for event 'command'");
    }

    [Fact]
    public void Doctor_OneLinePerEventWithRedisFigures_ThenAdvice()
    {
        FreshStart(50);
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        foreach (var c in new[] { ours, theirs }) c.Call("DEBUG", "SLEEP", "0.1").AssertOk();
        var eventLine = new Regex(@"^1\. command: 1 latency spikes \(average \d+ms, mean deviation 0ms, period \d+\.\d\d sec\)\. Worst all time event \d+ms\.$");
        foreach (var c in new[] { ours, theirs })
        {
            var lines = c.Call("LATENCY", "DOCTOR").Text!.Split('\n');
            Assert.StartsWith("Dave, ", lines[0]);
            Assert.Equal("", lines[1]);
            Assert.Matches(eventLine, lines[2]);
            Assert.Equal("", lines[3]);
            Assert.Equal("I have a few advices for you:", lines[4]);
            Assert.Equal("", lines[5]);
            Assert.All(lines[6..^1], l => Assert.StartsWith("- ", l));
            Assert.Equal("", lines[^1]);
        }
    }

    [Fact]
    public void Doctor_EnabledWithoutEvents_SaysSo()
    {
        FreshStart(1000);
        using var c = fx.Client();
        string report = c.Call("LATENCY", "DOCTOR").Text!;
        Assert.StartsWith("Dave, ", report);
        Assert.DoesNotContain("1. ", report);
        Assert.EndsWith("\n", report);
    }

    /// <summary>Four samples as redis-server drew them (100, 300, 201 and 150 ms, 5 to 1 seconds ago).</summary>
    [Fact]
    public void Graph_ScalesAndLabelsAsRedis()
    {
        long now = 1_796_221_249;
        var series = new LatencyMonitor.Series("command",
            [new(now - 5, 100), new(now - 3, 300), new(now - 2, 201), new(now - 1, 150)], 300);
        Assert.Equal(
            "command - high 300 ms, low 100 ms (all time high 300 ms)\n" + new string('-', 80) + "\n" +
            " #  \n |_ \n ||_\n_|||\n    \n5321\nssss\n",
            LatencyGraph.Render(series, now));
        // One sample: the lowest level; labels in minutes, hours and days once old enough.
        var single = new LatencyMonitor.Series("fast-command", [new(now - 7200, 3)], 9);
        Assert.Equal("fast-command - high 3 ms, low 3 ms (all time high 9 ms)\n" + new string('-', 80) + "\n \n \n \n_\n \n2\nh\n",
            LatencyGraph.Render(single, now));
    }

    [Fact]
    public void Graph_MoreThan80Samples_WrapsIntoBlocks()
    {
        long now = 1_796_221_249;
        var samples = Enumerable.Range(0, 100).Select(i => new LatencyMonitor.Sample(now - 100 + i, 10 + i)).ToArray();
        var lines = LatencyGraph.Render(new LatencyMonitor.Series("command", samples, 109), now).Split('\n');
        // header, dashes, then a block of 80 columns (4 rows, blank, 2-3 label rows), a blank line, a block of 20.
        Assert.Equal(80, lines[2].Length);
        int second = Array.IndexOf(lines, "", 3);
        Assert.True(second > 0);
        Assert.Equal(20, lines[second + 1].Length);
    }

    [Fact]
    public void AofWrite_OfALargeValue_IsAnEvent()
    {
        using var server = CodisServerProcess.Start("--appendonly", "yes", "--appendfsync", "always", "--latency-monitor-threshold", "1");
        using var c = server.Client();
        c.Call("SET", "big", new byte[32 << 20]).AssertOk(); // copying 32 MB into the file takes more than a millisecond
        var events = c.Call("LATENCY", "LATEST").Items!.ToDictionary(e => e.Items![0].Text!, e => e.Items![2].Integer);
        Assert.True(events.ContainsKey("aof-write"), string.Join(", ", events.Keys));
        Assert.Equal(events["aof-write"], events["aof-write-alone"]); // no fsync or rewrite was running
        Assert.DoesNotContain("aof-write-pending-fsync", events.Keys);
    }

    [Fact]
    public void Threshold_FromFlagAndToml_RewrittenByConfigRewrite()
    {
        using (var flagged = CodisServerProcess.Start("--latency-monitor-threshold", "25"))
        using (var c = flagged.Client())
            Assert.Equal(new string?[] { "latency-monitor-threshold", "25" }, c.Call("CONFIG", "GET", "latency-monitor-threshold").Strings());

        string file = Path.Combine(Directory.CreateTempSubdirectory("codis-latency-").FullName, "server.toml");
        File.WriteAllText(file, "latency-monitor-threshold = 7\nlatency-tracking-info-percentiles = [50, 99.5]\n");
        using (var server = CodisServerProcess.Start(file))
        using (var c = server.Client())
        {
            Assert.Equal(new string?[] { "latency-monitor-threshold", "7", "latency-tracking-info-percentiles", "50 99.5" },
                c.Call("CONFIG", "GET", "latency-monitor-threshold", "latency-tracking-info-percentiles").Strings());
            c.Call("CONFIG", "SET", "latency-monitor-threshold", "12", "latency-tracking", "no").AssertOk();
            c.Call("CONFIG", "REWRITE").AssertOk();
        }
        using var again = CodisServerProcess.Start(file);
        using var c2 = again.Client();
        Assert.Equal(new string?[] { "latency-monitor-threshold", "12", "latency-tracking", "no" },
            c2.Call("CONFIG", "GET", "latency-monitor-threshold", "latency-tracking").Strings());
    }
}
