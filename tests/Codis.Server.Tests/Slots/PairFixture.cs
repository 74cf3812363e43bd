using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Slots;

/// <summary>Two real codis-servers, a migration source and a target, shared by the tests of a class (each test uses its own DB).</summary>
public sealed class PairFixture : IDisposable
{
    public CodisServerProcess Source { get; } = CodisServerProcess.Start();
    public CodisServerProcess Target { get; } = CodisServerProcess.Start();

    public RespClient SourceClient(int db) => Select(Source.Client(), db);
    public RespClient TargetClient(int db) => Select(Target.Client(), db);

    private static RespClient Select(RespClient c, int db)
    {
        if (db != 0) c.Call("SELECT", db.ToString()).AssertOk();
        return c;
    }

    public void Dispose()
    {
        Source.Dispose();
        Target.Dispose();
    }
}

/// <summary>Keys chosen by slot, for tests that need many keys in one slot.</summary>
public static class SlotKeys
{
    /// <summary>The first <paramref name="count"/> keys "prefix:N" (N = 0, 1, ...) that hash to <paramref name="slot"/>.</summary>
    public static List<string> InSlot(int slot, int count, string prefix)
    {
        var keys = new List<string>(count);
        for (long n = 0; keys.Count < count; n++)
        {
            string k = prefix + ":" + n;
            if (SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(k)) == slot) keys.Add(k);
        }
        return keys;
    }

    /// <summary>For each slot, the first <paramref name="count"/> keys "prefix:N" that hash to it (one pass for all).</summary>
    public static Dictionary<int, List<string>> InSlots(int[] slots, int count, string prefix)
    {
        var result = slots.ToDictionary(s => s, _ => new List<string>(count));
        int full = 0;
        for (long n = 0; full < slots.Length; n++)
        {
            string k = prefix + ":" + n;
            if (result.TryGetValue(SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(k)), out var list) && list.Count < count)
            {
                list.Add(k);
                if (list.Count == count) full++;
            }
        }
        return result;
    }

    /// <summary>A hash tag whose keys land in <paramref name="slot"/>.</summary>
    public static string TagInSlot(int slot, string prefix)
    {
        for (long n = 0; ; n++)
        {
            string tag = prefix + n;
            if (SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(tag)) == slot) return tag;
        }
    }
}

/// <summary>Reply helpers for the slot tests.</summary>
public static class SlotReply
{
    /// <summary>The items of an array reply as text (a nil item as "(nil)").</summary>
    public static string[] Texts(this Codis.Core.Resp.RespValue v)
    {
        Assert.True(v.Type == Codis.Core.Resp.RespType.Array, $"expected array, got {v}");
        return v.Items!.Select(i => i.IsNull ? "(nil)" : i.Text ?? "").ToArray();
    }
}
