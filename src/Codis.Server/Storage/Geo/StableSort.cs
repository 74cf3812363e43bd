namespace Codis.Server.Storage.Geo;

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
