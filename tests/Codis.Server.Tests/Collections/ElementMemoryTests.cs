using System.Text;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Hashes;
using Codis.Server.Storage.Sets;
using Codis.Server.Storage.SortedSets;
using Xunit.Abstractions;

namespace Codis.Server.Tests.Collections;

/// <summary>
/// What a big collection costs the GC per element: bytes allocated while it is built. An element is one array (or
/// two for a hash field and its value) and nothing more: the sorted set's index allocates no object per member
/// (a node object with its own link array was 3 young objects per member, and a migration target receiving a
/// million-element sorted set paused for copying them).
/// </summary>
public class ElementMemoryTests(ITestOutputHelper output)
{
    private const int N = 200_000;
    private static readonly CollectionLimits Limits = new();

    private static byte[] Name(string prefix, int i) => Encoding.ASCII.GetBytes(prefix + i);

    private static double BytesPer(Action build)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        build();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)N;
    }

    [Fact]
    public void SortedSet_BigSet_NoObjectPerNode()
    {
        var names = Enumerable.Range(0, N).Select(i => Name("m:", i)).ToArray();
        var grown = new SortedSetValue(listpack: false);
        double perMemberGrown = BytesPer(() =>
        {
            for (int i = 0; i < N; i++) grown.Set(names[i], i * 0.5, Limits);
        });
        // Sized up front, as a migration target does from the chunks' hint: no array is allocated twice, so what is
        // left is the member bytes (32), its table entry (32 + 4 + 4) and its node (48: its level-0 link keeps the
        // next node's score and upper links; its own upper links 24 each, a third of a block per member on average,
        // and the link array's doublings). A node
        // object with its own link array cost 176.5 bytes per member here (48 + ~45 for them).
        var z = new SortedSetValue(listpack: false);
        double perMember = BytesPer(() =>
        {
            z.Reserve(N);
            for (int i = 0; i < N; i++) z.Set(names[i], i * 0.5, Limits);
        });
        output.WriteLine($"sorted set: {perMember:F1} bytes allocated per member when reserved, {perMemberGrown:F1} when grown");
        Assert.InRange(perMember, 1, 175); // measured 162.6
        Assert.Equal(N, z.Count);
        int seen = 0;
        for (int n = z.First; n != 0; n = z.Next(n)) Assert.Equal(names[seen++], z.MemberOf(n));
        Assert.Equal(N, seen);
    }

    [Fact]
    public void HashAndSet_BigCollections_OneArrayPerElement()
    {
        var names = Enumerable.Range(0, N).Select(i => Name("f:", i)).ToArray();
        var h = new HashValue();
        double perField = BytesPer(() =>
        {
            for (int i = 0; i < N; i++) h.Set(names[i], names[i], Limits);
        });
        var s = SetValue.CreateFor(names[0]);
        double perMember = BytesPer(() =>
        {
            for (int i = 0; i < N; i++) s.Add(names[i], Limits);
        });
        output.WriteLine($"hash: {perField:F1} bytes allocated per field; set: {perMember:F1} per member");
        Assert.Equal("hashtable", h.EncodingName);
        Assert.Equal("hashtable", s.EncodingName);
        // Measured 168.8 and 115.9: field and value arrays (32 each) or the member's, the table entry, and the
        // tables' doublings (grown from empty, so about as much again in arrays allocated once and dropped).
        Assert.InRange(perField, 1, 190);
        Assert.InRange(perMember, 1, 135);
        Assert.Equal(N, h.Entries().Count());
        Assert.Equal(N, s.Members().Count());
    }

    /// <summary>
    /// A restored collection's elements are on the pinned heap (a restore makes many arrays that all survive, and
    /// young collections would copy each twice); a command's are ordinary young arrays (the pinned heap's free list
    /// is walked per allocation once deletions leave holes, so commands stay off it).
    /// </summary>
    [Fact]
    public void Restored_elements_are_pinned_and_command_elements_are_young()
    {
        const int M = 2000;
        var entries = Enumerable.Range(0, M).Select(i => (Name("rf:", i), Name("rv:", i))).ToList();
        Assert.True(Codis.Server.Persistence.KeyValueRdb.TryFromRdb(new Codis.Server.Persistence.RdbHash(entries), out var stored));
        var restored = Assert.IsType<HashValue>(stored);
        Assert.True(ElementBytes.PinnedUsable);
        int pinned = restored.Entries().Count(e => GC.GetGeneration(e.Item1) == GC.MaxGeneration && GC.GetGeneration(e.Item2) == GC.MaxGeneration);
        Assert.Equal(M, pinned);

        // Outside a restore an element is an ordinary array, born in gen0 (checked right after each allocation: other
        // tests in this process allocate too, and their collections promote what lives a while).
        int young = 0;
        for (int i = 0; i < M; i++)
            if (GC.GetGeneration(ElementBytes.Copy(Name("cf:", i))) == 0) young++;
        Assert.InRange(young, M * 9 / 10, M);
        using (ElementBytes.LongLived())
            for (int i = 0; i < M; i++) Assert.Equal(GC.MaxGeneration, GC.GetGeneration(ElementBytes.Copy(Name("lf:", i))));
    }

    /// <summary>
    /// Restores give the pinned heap up only when nearly all of a window of allocations were slow (the free list's
    /// walk), not for scattered slow ones (the runtime holding allocations back during a background collection).
    /// </summary>
    [Fact]
    public void Pinned_heap_is_given_up_only_for_a_window_of_slow_allocations()
    {
        var scattered = new SlowWindow();
        for (int i = 0; i < 20 * SlowWindow.Size; i++) Assert.True(scattered.Record(wasSlow: i % 2 == 0));
        Assert.True(scattered.Usable);

        var walking = new SlowWindow();
        int fastFirst = SlowWindow.Size - SlowWindow.SlowLimit;
        for (int i = 0; i < fastFirst; i++) Assert.True(walking.Record(wasSlow: false));
        for (int i = 0; i < SlowWindow.SlowLimit - 1; i++) Assert.True(walking.Record(wasSlow: true));
        Assert.False(walking.Record(wasSlow: true)); // the window's last: 900 of 1,024 were slow
        Assert.False(walking.Usable);
        for (int i = 0; i < 2 * SlowWindow.Size; i++) Assert.True(walking.Record(wasSlow: true)); // said once
        Assert.False(walking.Usable);
    }

    /// <summary>
    /// The skip list's nodes are slots of the member table and its upper links blocks of a shared array, both
    /// reused after removals: a random mix of adds, score changes and removals (emptying the set now and then) must
    /// keep order, ranks and rank lookups equal to a plain sorted list's, and every link's kept score its node's.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SortedSet_RandomChurn_OrderAndRanksMatchASortedList(int seed)
    {
        var rnd = new Random(seed);
        var z = new SortedSetValue(listpack: false);
        var model = new Dictionary<string, double>();
        for (int step = 0; step < 20_000; step++)
        {
            string m = "k" + rnd.Next(600);
            int op = rnd.Next(10);
            if (op < 5)
            {
                double score = rnd.Next(8) == 0 ? 1.0 : rnd.Next(-50, 50) / 4.0; // ties order by member
                Assert.Equal(!model.ContainsKey(m), z.Set(Encoding.ASCII.GetBytes(m), score, Limits));
                model[m] = score;
            }
            else if (op < 8) Assert.Equal(model.Remove(m), z.Remove(Encoding.ASCII.GetBytes(m)));
            else if (op == 8 && rnd.Next(50) == 0)
            {
                while (z.Count > 0) z.Remove(rnd.Next(2) == 0 ? z.First : z.Last);
                model.Clear();
            }
            else if (op == 9 && model.TryGetValue(m, out double old))
            {
                // a nudge that usually keeps the node in place: only the score changes, and the links that keep it
                double nudged = old + (rnd.Next(2) == 0 ? 1e-6 : -1e-6);
                Assert.False(z.Set(Encoding.ASCII.GetBytes(m), nudged, Limits));
                model[m] = nudged;
            }
            if (step % 50 == 0) z.CheckLinks();
            if (step % 500 != 0) continue;
            var expected = model.OrderBy(e => e.Value).ThenBy(e => Encoding.ASCII.GetBytes(e.Key), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
            var actual = z.Entries().Select(e => (Encoding.ASCII.GetString(e.Member), e.Score)).ToList();
            Assert.Equal(expected.Select(e => (e.Key, e.Value)), actual);
            for (int i = 0; i < expected.Count; i++)
            {
                var member = Encoding.ASCII.GetBytes(expected[i].Key);
                Assert.Equal(i, z.Rank(member, reverse: false));
                Assert.Equal(expected[i].Key, Encoding.ASCII.GetString(z.MemberOf(z.ByRank(i))));
            }
            int back = 0;
            for (int n = z.Last; n != 0; n = z.Prev(n)) back++;
            Assert.Equal(expected.Count, back);
        }
    }
}
