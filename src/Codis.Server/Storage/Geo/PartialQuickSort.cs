namespace Codis.Server.Storage.Geo;

/// <summary>
/// The partial quicksort Redis orders a COUNT-limited GEO result with (a Bentley–McIlroy quicksort with
/// three-way partitioning that only recurses into parts overlapping the wanted range). It is not stable, so
/// members at equal distances come out in the order this exact algorithm leaves them; a different sort would
/// reorder such ties. A full sort is stable in Redis (glibc's merge sort), see <see cref="StableSort"/>.
/// </summary>
internal static class PartialQuickSort
{
    /// <summary>Sorts enough of <paramref name="a"/> that positions <paramref name="lo"/>..<paramref name="hi"/> hold their final elements.</summary>
    public static void Sort<T>(Span<T> a, Comparison<T> cmp, int lo, int hi) => Sort(a, 0, a.Length, cmp, lo, hi);

    private static void Sort<T>(Span<T> a, int start, int n, Comparison<T> cmp, int lo, int hi)
    {
        while (true)
        {
            if (n < 7)
            {
                for (int m = start + 1; m < start + n; m++)
                    for (int l = m; l > start && cmp(a[l - 1], a[l]) > 0; l--)
                        Swap(a, l, l - 1);
                return;
            }
            int pm = start + n / 2;
            if (n > 7)
            {
                int pl = start, pn = start + n - 1;
                if (n > 40)
                {
                    int d = n / 8;
                    pl = Median(a, pl, pl + d, pl + 2 * d, cmp);
                    pm = Median(a, pm - d, pm, pm + d, cmp);
                    pn = Median(a, pn - 2 * d, pn - d, pn, cmp);
                }
                pm = Median(a, pl, pm, pn, cmp);
            }
            Swap(a, start, pm);
            // The pivot sits at start; equal elements gather at both ends ([start+1, pa) and (pd, end]).
            int pa = start + 1, pb = pa, pc = start + n - 1, pd = pc;
            while (true)
            {
                int r;
                while (pb <= pc && (r = cmp(a[pb], a[start])) <= 0)
                {
                    if (r == 0) Swap(a, pa++, pb);
                    pb++;
                }
                while (pb <= pc && (r = cmp(a[pc], a[start])) >= 0)
                {
                    if (r == 0) Swap(a, pc, pd--);
                    pc--;
                }
                if (pb > pc) break;
                Swap(a, pb++, pc--);
            }
            int end = start + n;
            int s = Math.Min(pa - start, pb - pa);
            SwapRuns(a, start, pb - s, s);
            s = Math.Min(pd - pc, end - pd - 1);
            SwapRuns(a, pb, end - s, s);

            int left = pb - pa;
            if (left > 1 && Overlaps(start, left, lo, hi)) Sort(a, start, left, cmp, lo, hi);
            int right = pd - pc;
            if (right <= 1) return;
            start = end - right;
            n = right;
            if (!Overlaps(start, n, lo, hi)) return;
        }
    }

    private static bool Overlaps(int start, int n, int lo, int hi) => !(hi < start || lo >= start + n);

    private static int Median<T>(Span<T> a, int x, int y, int z, Comparison<T> cmp) =>
        cmp(a[x], a[y]) < 0
            ? (cmp(a[y], a[z]) < 0 ? y : cmp(a[x], a[z]) < 0 ? z : x)
            : (cmp(a[y], a[z]) > 0 ? y : cmp(a[x], a[z]) < 0 ? x : z);

    private static void Swap<T>(Span<T> a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);

    private static void SwapRuns<T>(Span<T> a, int i, int j, int n)
    {
        for (int k = 0; k < n; k++) Swap(a, i + k, j + k);
    }
}

/// <summary>A stable sort (what glibc's qsort does for Redis: a merge sort), so equal elements keep their scan order.</summary>
internal static class StableSort
{
    public static void Sort<T>(Span<T> a, Comparison<T> cmp)
    {
        if (a.Length < 2) return;
        var tmp = new T[a.Length];
        for (int width = 1; width < a.Length; width *= 2)
        {
            for (int lo = 0; lo < a.Length; lo += 2 * width)
            {
                int mid = Math.Min(lo + width, a.Length), hi = Math.Min(lo + 2 * width, a.Length);
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi) tmp[k++] = cmp(a[j], a[i]) < 0 ? a[j++] : a[i++];
                while (i < mid) tmp[k++] = a[i++];
                while (j < hi) tmp[k++] = a[j++];
            }
            tmp.CopyTo(a);
        }
    }
}
