using System.Buffers.Text;
using Codis.Core.Slots;
using Codis.Core.Text;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>
/// KEYS and SCAN. A SCAN cursor is (entry index &lt;&lt; 10) | slot: the scan walks slot 0 to 1023 and, inside a
/// slot's table, entry indexes upwards. Entry indexes never move while a key lives, so every key present for
/// the whole scan is returned, exactly once.
/// </summary>
internal static class ScanCommands
{
    private const int SlotBits = 10;

    [Command("keys", 2, Flags = CommandFlags.ReadOnly, AclCategories = "@keyspace @dangerous", Group = "generic", Summary = "Returns all key names that match a pattern.")]
    public static void Keys(CommandContext ctx)
    {
        var db = ctx.Db;
        var pattern = ctx.Arg(1);
        bool all = pattern.Length == 1 && pattern[0] == (byte)'*';
        long now = ctx.Now;
        var matches = new List<byte[]>();
        for (int s = 0; s < SlotHash.SlotCount; s++)
        {
            var t = db.Table(s);
            if (t == null) continue;
            for (int i = 0; i < t.Capacity; i++)
            {
                if (!t.IsUsed(i)) continue;
                ref var e = ref t.At(i);
                if (e.ExpireAt != 0 && e.ExpireAt <= now) continue; // expired, not yet collected
                if (all || Glob.Match(pattern, e.Key)) matches.Add(e.Key!);
            }
        }
        ctx.Reply.WriteArrayHeader(matches.Count);
        foreach (var k in matches) ctx.Reply.WriteBulk(k);
    }

    [Command("scan", -2, Flags = CommandFlags.ReadOnly, Group = "generic", Summary = "Iterates over the key names in the database.")]
    public static void Scan(CommandContext ctx)
    {
        if (!TryParseCursor(ctx.Arg(1), out ulong cursor))
        {
            ctx.Error("ERR invalid cursor");
            return;
        }
        long count = 10;
        int patternAt = -1, typeAt = -1;
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            bool hasNext = i + 1 < ctx.ArgCount;
            if (hasNext && ctx.ArgIs(i, "COUNT"))
            {
                if (!ctx.TryArgLong(i + 1, out count)) return;
                if (count < 1)
                {
                    ctx.SyntaxError();
                    return;
                }
                i++;
            }
            else if (hasNext && ctx.ArgIs(i, "MATCH"))
            {
                patternAt = ++i;
            }
            else if (hasNext && ctx.ArgIs(i, "TYPE"))
            {
                typeAt = ++i;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        var pattern = patternAt < 0 ? default : ctx.Arg(patternAt);
        bool usePattern = patternAt >= 0 && !(pattern.Length == 1 && pattern[0] == (byte)'*');
        string? type = typeAt < 0 ? null : ctx.ArgString(typeAt);

        var db = ctx.Db;
        var keyspace = ctx.Keyspace;
        int slot = (int)(cursor & SlotHash.SlotMask);
        ulong startIndex = cursor >> SlotBits;
        int index = startIndex > int.MaxValue ? int.MaxValue : (int)startIndex;
        var found = new List<byte[]>();
        // Like Redis, COUNT bounds the keys looked at (before filtering), and empty entries are cheap but bounded too.
        long budget = count, emptyBudget = count > long.MaxValue / 10 ? long.MaxValue : count * 10;
        while (slot < SlotHash.SlotCount && budget > 0 && emptyBudget > 0)
        {
            var t = db.Table(slot);
            if (t == null || index >= t.Capacity)
            {
                slot++;
                index = 0;
                continue;
            }
            if (!t.IsUsed(index))
            {
                emptyBudget--;
                index++;
                continue;
            }
            ref var e = ref t.At(index);
            var key = e.Key!;
            budget--;
            index++;
            bool expired = e.ExpireAt != 0 && e.ExpireAt <= ctx.Now;
            if (expired)
            {
                if (keyspace.ExpireAllowed) db.Exists(key); // collects it now, as Redis's SCAN does
                continue;
            }
            if (usePattern && !Glob.Match(pattern, key)) continue;
            if (type != null && !string.Equals(type, ValueTypes.TypeName(e.Value), StringComparison.OrdinalIgnoreCase)) continue;
            found.Add(key);
        }
        ulong next = slot >= SlotHash.SlotCount ? 0 : ((ulong)index << SlotBits) | (uint)slot;
        var r = ctx.Reply;
        r.WriteArrayHeader(2);
        Span<byte> text = stackalloc byte[24];
        Utf8Formatter.TryFormat(next, text, out int n);
        r.WriteBulk(text[..n]);
        r.WriteArrayHeader(found.Count);
        foreach (var k in found) r.WriteBulk(k);
    }

    /// <summary>
    /// C's strtoul in base 10, as Redis parses cursors: optional sign ("-1" wraps around), digits, no spaces;
    /// an empty text is 0. Overflow is an error.
    /// </summary>
    internal static bool TryParseCursor(ReadOnlySpan<byte> s, out ulong cursor)
    {
        cursor = 0;
        if (s.IsEmpty) return true;
        bool negative = false;
        int i = 0;
        if (s[0] is (byte)'+' or (byte)'-')
        {
            negative = s[0] == (byte)'-';
            i = 1;
        }
        if (i == s.Length) return false;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            if (cursor > (ulong.MaxValue - d) / 10) return false;
            cursor = cursor * 10 + d;
        }
        if (negative) cursor = unchecked(0 - cursor);
        return true;
    }
}
