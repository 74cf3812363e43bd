namespace Codis.Server.Commands;

internal delegate void CommandHandler(CommandContext ctx);

/// <summary>One entry of the command table, plus its call statistics (INFO commandstats).</summary>
internal sealed class CommandSpec
{
    public required string Name { get; init; }
    public required int Arity { get; init; }
    public required CommandFlags Flags { get; init; }
    public required int FirstKey { get; init; }
    public required int LastKey { get; init; }
    public required int Step { get; init; }
    public required string Group { get; init; }
    public required string Summary { get; init; }
    public required CommandHandler Handler { get; init; }

    /// <summary>For containers (CONFIG, CLIENT, ...): their subcommands, named "container|sub", for COMMAND.</summary>
    public List<CommandSpec> Subcommands { get; } = new();

    public long Calls;
    public long Microseconds;
    public long RejectedCalls;
    public long FailedCalls;

    /// <summary>Latencies of this command (INFO latencystats); created on its first call.</summary>
    public Introspection.LatencyHistogram? Latency;

    /// <summary>CONFIG RESETSTAT.</summary>
    public void ResetStats()
    {
        Calls = Microseconds = RejectedCalls = FailedCalls = 0;
        Latency?.Reset();
    }

    public bool Has(CommandFlags flag) => (Flags & flag) != 0;

    public bool ArityOk(int count) => Arity >= 0 ? count == Arity : count >= -Arity;

    /// <summary>The key arguments of a request, by first/last/step (last &lt; 0 counts from the end).</summary>
    public IEnumerable<int> KeyPositions(int argCount)
    {
        if (FirstKey <= 0) yield break;
        int last = LastKey < 0 ? argCount + LastKey : LastKey;
        for (int i = FirstKey; i <= last && i < argCount; i += Math.Max(1, Step)) yield return i;
    }
}
