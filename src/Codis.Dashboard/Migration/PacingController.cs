namespace Codis.Dashboard.Migration;

/// <summary>The clients' calls answered by the proxies over one sampling window, and the microseconds they took.</summary>
internal readonly record struct LatencyWindow(long Calls, long Usecs)
{
    public double MeanMicros => Calls == 0 ? 0 : (double)Usecs / Calls;
}

/// <summary>
/// The migration latency guard's control law, without I/O: from the clients' mean latency with no key moving (the
/// baseline) and over each window while keys move, it sets <see cref="Factor"/>, the pause after each migration call
/// as a multiple of that call's own duration (so the migration runs 1 / (1 + factor) of the time on each source,
/// whatever the method or the keys' sizes make a call cost). Above the limit the factor grows (from
/// <see cref="StartFactor"/>) by ratio / limit, at least ×1.25 and at most ×2; below it, it shrinks by the same
/// ratio, at least ×0.8 and at most ×0.5, down to 0. With no clients there is nothing to protect: full speed. "No clients" is a
/// baseline (or, without one, a window) of fewer than <see cref="MinCalls"/> calls. Once the baseline had clients, a
/// window needs only <see cref="MinWindowCalls"/> for its mean, and a thinner one holds the factor: closed-loop
/// clients that the migration slows (or stalls) answer fewer calls, so that drop is the symptom, not their absence;
/// the pacer's next baseline tells whether they left. Not thread-safe (the pacer locks).
/// </summary>
internal sealed class PacingController(double limit)
{
    /// <summary>A window (or baseline) with fewer calls than this has no clients to protect.</summary>
    public const long MinCalls = 500;
    /// <summary>Once the baseline had clients: the fewest calls whose mean a window still trusts.</summary>
    public const long MinWindowCalls = 50;
    public const double StartFactor = 0.25, MinRaise = 1.25, MaxRaise = 2, MinLower = 0.8, MaxLower = 0.5, FloorFactor = 0.05;
    /// <summary>Beyond this the pause is all but stopped anyway; a higher factor would only take longer to come back.</summary>
    public const double MaxFactor = 20;

    public double Limit => limit;
    public bool Enabled => limit > 0;
    public double Factor { get; private set; }
    public double? BaselineMicros { get; private set; }
    public double? CurrentMicros { get; private set; }
    public double? Ratio { get; private set; }
    public long LastCalls { get; private set; }
    public string State { get; private set; } = "idle";

    /// <summary>A new migration: no factor, no baseline yet.</summary>
    public void Reset()
    {
        Factor = 0;
        BaselineMicros = CurrentMicros = Ratio = null;
        LastCalls = 0;
        State = Enabled ? "measuring baseline" : "off";
    }

    /// <summary>The migration stopped moving keys; the last figures stay readable.</summary>
    public void Stop() => State = Enabled ? "idle" : "off";

    /// <summary>A window with no key moving. Too few calls: no baseline (and no pacing until one is taken).</summary>
    public void SetBaseline(LatencyWindow w) => BaselineMicros = w.Calls >= MinCalls && w.Usecs > 0 ? w.MeanMicros : null;

    /// <summary>A window while keys moved: updates the factor.</summary>
    /// <summary>
    /// The clients are much faster than with no key moving: the baseline is stale (the load fell, or a hiccup of the
    /// machine fell into its window) and should be measured again.
    /// </summary>
    public bool BaselineLooksStale => Ratio is { } r && r < 1 / limit;

    public void Observe(LatencyWindow w)
    {
        LastCalls = w.Calls;
        if (!Enabled)
        {
            Factor = 0;
            State = "off";
            return;
        }
        if (BaselineMicros == null && w.Calls < MinCalls)
        {
            (Factor, CurrentMicros, Ratio, State) = (0, null, null, "no clients");
            return;
        }
        if (w.Calls < MinWindowCalls)
        {
            // after a busy baseline: stalled clients, or gone ones (the next baseline finds out); hold
            (CurrentMicros, Ratio, State) = (null, null, "few calls");
            return;
        }
        CurrentMicros = w.MeanMicros;
        if (BaselineMicros is not { } baseline)
        {
            // clients came after the baseline was taken: hold until the pacer measures one
            Ratio = null;
            State = "no baseline";
            return;
        }
        double ratio = w.MeanMicros / baseline;
        Ratio = ratio;
        if (ratio > limit) Factor = Factor == 0 ? StartFactor : Math.Min(MaxFactor, Factor * Math.Clamp(ratio / limit, MinRaise, MaxRaise));
        else
        {
            Factor *= Math.Clamp(ratio / limit, MaxLower, MinLower);
            if (Factor < FloorFactor) Factor = 0;
        }
        State = Factor > 0 ? "pacing" : "full speed";
    }

    /// <summary>The pause after a call that took <paramref name="call"/>: factor × call, at least the action interval, at most the cap.</summary>
    public static TimeSpan PauseAfter(TimeSpan call, double factor, TimeSpan minimum, TimeSpan maximum)
    {
        var paced = factor > 0 ? TimeSpan.FromTicks((long)Math.Min(call.Ticks * factor, maximum.Ticks)) : TimeSpan.Zero;
        return paced > minimum ? paced : minimum;
    }
}
