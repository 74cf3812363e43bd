namespace Codis.Server.Storage.Eviction;

/// <summary>
/// Redis's LFU counter, kept in a key's 32-bit access stamp while an LFU policy is selected: the low 8 bits are a
/// logarithmic access counter (new keys start at 5, so they are not evicted before they had a chance to be used),
/// the next 16 the minute (mod 2^16) it was last decayed. The counter grows with probability
/// 1 / ((counter - 5) * lfu-log-factor + 1) per access and loses one per lfu-decay-time minutes without access.
/// </summary>
internal static class Lfu
{
    public const int InitialCounter = 5;

    public static uint Minutes(long unixMs) => (uint)(unixMs / 60_000) & 0xFFFF;

    public static uint New(long unixMs) => (Minutes(unixMs) << 8) | InitialCounter;

    public static uint Stamp(long unixMs, int counter) => (Minutes(unixMs) << 8) | (uint)Math.Clamp(counter, 0, 255);

    /// <summary>The counter after the decay due since it was last stamped (OBJECT FREQ, and the eviction score).</summary>
    public static int Counter(uint stamp, long unixMs, int decayMinutes)
    {
        if (stamp == 0) return InitialCounter; // stored by a path that stamps nothing: count it as new
        int counter = (int)(stamp & 0xFF);
        if (decayMinutes <= 0) return counter;
        uint last = stamp >> 8, now = Minutes(unixMs);
        long elapsed = now >= last ? now - last : 65535 - last + now;
        long periods = elapsed / decayMinutes;
        return periods >= counter ? 0 : counter - (int)periods;
    }

    /// <summary>An access: decay, then a logarithmic increment.</summary>
    public static uint Touch(uint stamp, long unixMs, int logFactor, int decayMinutes, Random random)
    {
        int counter = Counter(stamp, unixMs, decayMinutes);
        if (counter < 255)
        {
            double baseline = Math.Max(0, counter - InitialCounter);
            if (random.NextDouble() < 1.0 / (baseline * logFactor + 1)) counter++;
        }
        return Stamp(unixMs, counter);
    }
}
