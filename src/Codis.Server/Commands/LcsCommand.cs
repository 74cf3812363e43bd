namespace Codis.Server.Commands;

/// <summary>LCS: the longest common subsequence of two strings, by Redis 7.0's dynamic programming and walk back.</summary>
internal static class LcsCommand
{
    /// <summary>The table is (len1 + 1) × (len2 + 1) counters; past this many Redis's allocation would fail too.</summary>
    private const long MaxCells = 256L * 1024 * 1024;

    [Command("lcs", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 2, Step = 1, Group = "string", Summary = "Finds the longest common substring.")]
    public static void Lcs(CommandContext ctx)
    {
        var va = ctx.Db.Get(ctx.Arg(1));
        var vb = ctx.Db.Get(ctx.Arg(2));
        if ((va != null && va is not byte[]) || (vb != null && vb is not byte[]))
        {
            ctx.Error("ERR The specified keys must contain string values");
            return;
        }
        byte[] a = va as byte[] ?? [], b = vb as byte[] ?? [];
        bool getLen = false, getIdx = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < ctx.ArgCount; j++)
        {
            bool moreArgs = j + 1 < ctx.ArgCount;
            if (ctx.ArgIs(j, "IDX")) getIdx = true;
            else if (ctx.ArgIs(j, "LEN")) getLen = true;
            else if (ctx.ArgIs(j, "WITHMATCHLEN")) withMatchLen = true;
            else if (ctx.ArgIs(j, "MINMATCHLEN") && moreArgs)
            {
                if (!ctx.TryArgLong(++j, out minMatchLen)) return;
                if (minMatchLen < 0) minMatchLen = 0;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (getLen && getIdx)
        {
            ctx.Error("ERR If you want both the length and indexes, please just use IDX.");
            return;
        }
        int alen = a.Length, blen = b.Length;
        long cells = (alen + 1L) * (blen + 1L);
        if (cells > MaxCells)
        {
            ctx.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
            return;
        }

        // lcs[i * (blen + 1) + j] = length of the LCS of a[..i] and b[..j]
        int width = blen + 1;
        var lcs = new uint[cells];
        for (int i = 1; i <= alen; i++)
        {
            int row = i * width, up = row - width;
            for (int j = 1; j <= blen; j++)
            {
                lcs[row + j] = a[i - 1] == b[j - 1]
                    ? lcs[up + j - 1] + 1
                    : Math.Max(lcs[up + j], lcs[row + j - 1]);
            }
        }
        int total = (int)lcs[alen * width + blen];
        if (getLen)
        {
            ctx.Reply.WriteInteger(total);
            return;
        }

        // Walk back from the end, building the string backwards and the matching ranges as Redis emits them.
        var result = new byte[total];
        var ranges = getIdx ? new List<(int A0, int A1, int B0, int B1)>() : null;
        int idx = total, ia = alen, ib = blen;
        int aStart = alen, aEnd = 0, bStart = 0, bEnd = 0; // aStart == alen: no range open
        while (ia > 0 && ib > 0)
        {
            bool emit = false;
            if (a[ia - 1] == b[ib - 1])
            {
                result[idx - 1] = a[ia - 1];
                if (aStart == alen)
                {
                    aStart = aEnd = ia - 1;
                    bStart = bEnd = ib - 1;
                }
                else if (aStart == ia && bStart == ib)
                {
                    aStart--;
                    bStart--;
                }
                else emit = true;
                if (aStart == 0 || bStart == 0) emit = true;
                idx--;
                ia--;
                ib--;
            }
            else
            {
                if (lcs[(ia - 1) * width + ib] > lcs[ia * width + ib - 1]) ia--;
                else ib--;
                if (aStart != alen) emit = true;
            }
            if (emit)
            {
                int matchLen = aEnd - aStart + 1;
                if (ranges != null && (minMatchLen == 0 || matchLen >= minMatchLen)) ranges.Add((aStart, aEnd, bStart, bEnd));
                aStart = alen;
            }
        }
        if (ranges == null)
        {
            ctx.Reply.WriteBulk(result);
            return;
        }
        ctx.Reply.WriteMapHeader(2);
        ctx.Reply.WriteBulk("matches"u8);
        ctx.Reply.WriteArrayHeader(ranges.Count);
        foreach (var r in ranges)
        {
            ctx.Reply.WriteArrayHeader(withMatchLen ? 3 : 2);
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteInteger(r.A0);
            ctx.Reply.WriteInteger(r.A1);
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteInteger(r.B0);
            ctx.Reply.WriteInteger(r.B1);
            if (withMatchLen) ctx.Reply.WriteInteger(r.A1 - r.A0 + 1);
        }
        ctx.Reply.WriteBulk("len"u8);
        ctx.Reply.WriteInteger(total);
    }
}
