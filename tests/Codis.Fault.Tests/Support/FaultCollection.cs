namespace Codis.Fault.Tests.Support;

/// <summary>
/// The local-cluster fault tests run one at a time: each starts a cluster and measures timings, which two at
/// once on a small machine would blur (the collection runs alongside the suite's other collections).
/// </summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection
{
    public const string Name = "local-cluster faults";
}

/// <summary>Keys that land where a test wants them.</summary>
public static class Keys
{
    /// <summary>A hash tag "{t…}" whose keys all map to a slot in [from, to].</summary>
    public static string TagIn(int from, int to, string seed = "t")
    {
        for (int i = 0; ; i++)
        {
            string tag = $"{seed}{i}";
            int slot = Codis.Core.Slots.SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(tag));
            if (slot >= from && slot <= to) return "{" + tag + "}";
        }
    }
}
