namespace Codis.Server.Storage.Collections;

/// <summary>
/// Redis's pqsort, which orders a COUNT-limited GEO result and a SORT ... LIMIT by pattern: the Bentley–McIlroy
/// quicksort of BSD's qsort (three-way partitioning) that only descends into the parts overlapping the wanted
/// range. It is not stable, so elements that compare equal end where this exact algorithm leaves them; it is done
/// step by step as Redis does, so ties come out in Redis's order. The parts left to sort wait on a stack of our own,
/// not the call stack (the parts are disjoint, so their order changes nothing): an input that drives the quicksort
/// to its worst case costs time, never a stack overflow.
/// </summary>
internal static class PartialQuickSort
{
    /// <summary>Sorts enough of <paramref name="v"/> that positions <paramref name="left"/>..<paramref name="right"/> hold their final elements.</summary>
    public static void Sort<T, TComparer>(Span<T> v, TComparer cmp, int left, int right) where TComparer : IComparer<T>
    {
        var pending = new Stack<(int Lo, int N)>();
        pending.Push((0, v.Length));
        while (pending.TryPop(out var part)) Step(v, part.Lo, part.N, cmp, left, right, pending);
    }

    /// <summary>One part: sorts it (small), or partitions it and pushes the parts that overlap the range.</summary>
    private static void Step<T, TComparer>(Span<T> v, int lo, int n, TComparer cmp, int left, int right, Stack<(int, int)> pending)
        where TComparer : IComparer<T>
    {
        if (n < 7)
        {
            for (int m = lo + 1; m < lo + n; m++)
                for (int l = m; l > lo && cmp.Compare(v[l - 1], v[l]) > 0; l--)
                    (v[l], v[l - 1]) = (v[l - 1], v[l]);
            return;
        }
        int pm = lo + n / 2;
        if (n > 7)
        {
            int pl = lo, pn = lo + n - 1;
            if (n > 40)
            {
                int d = n / 8;
                pl = Median(v, pl, pl + d, pl + 2 * d, cmp);
                pm = Median(v, pm - d, pm, pm + d, cmp);
                pn = Median(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = Median(v, pl, pm, pn, cmp);
        }
        (v[lo], v[pm]) = (v[pm], v[lo]);
        // v[lo] is the pivot; equal elements gather at both ends ([lo+1, pa) and (pd, end)) while partitioning.
        int pa = lo + 1, pb = pa, pc = lo + n - 1, pd = pc;
        while (true)
        {
            int r;
            while (pb <= pc && (r = cmp.Compare(v[pb], v[lo])) <= 0)
            {
                if (r == 0)
                {
                    (v[pa], v[pb]) = (v[pb], v[pa]);
                    pa++;
                }
                pb++;
            }
            while (pb <= pc && (r = cmp.Compare(v[pc], v[lo])) >= 0)
            {
                if (r == 0)
                {
                    (v[pc], v[pd]) = (v[pd], v[pc]);
                    pd--;
                }
                pc--;
            }
            if (pb > pc) break;
            (v[pb], v[pc]) = (v[pc], v[pb]);
            pb++;
            pc--;
        }
        int endAt = lo + n;
        int s = Math.Min(pa - lo, pb - pa);
        SwapRuns(v, lo, pb - s, s);
        s = Math.Min(pd - pc, endAt - pd - 1);
        SwapRuns(v, pb, endAt - s, s);
        int lower = pb - pa;
        if (lower > 1 && Overlaps(lo, lower, left, right)) pending.Push((lo, lower));
        int upper = pd - pc;
        if (upper > 1 && Overlaps(endAt - upper, upper, left, right)) pending.Push((endAt - upper, upper));
    }

    private static bool Overlaps(int lo, int n, int left, int right) => !(right < lo || left >= lo + n);

    private static int Median<T, TComparer>(Span<T> v, int a, int b, int c, TComparer cmp) where TComparer : IComparer<T> =>
        cmp.Compare(v[a], v[b]) < 0
            ? (cmp.Compare(v[b], v[c]) < 0 ? b : cmp.Compare(v[a], v[c]) < 0 ? c : a)
            : (cmp.Compare(v[b], v[c]) > 0 ? b : cmp.Compare(v[a], v[c]) < 0 ? a : c);

    private static void SwapRuns<T>(Span<T> v, int a, int b, int n)
    {
        for (int i = 0; i < n; i++) (v[a + i], v[b + i]) = (v[b + i], v[a + i]);
    }
}
