using System.Collections.Frozen;
using System.Text;
using Codis.Core.Resp;

namespace Codis.Proxy.Routing;

/// <summary>
/// Where a command's keys are (Redis's key specs, for the commands the proxy forwards). Plain routing only
/// needs the first key; transactions and blocking commands must see every key to refuse a request whose keys
/// live in different slots.
/// </summary>
internal static class KeyPositions
{
    private enum Kind { First, Range, NumKeysAt1, NumKeysAt2, NumKeysAfterTimeout, Store, GeoStore, Streams }

    /// <summary>Range: keys from First to Last (negative = from the end) every Step.</summary>
    private readonly record struct Spec(Kind Kind, int First = 1, int Last = 1, int Step = 1);

    private static readonly FrozenDictionary<string, Spec> specs = Build();
    private static readonly FrozenDictionary<string, Spec>.AlternateLookup<ReadOnlySpan<char>> lookup =
        specs.GetAlternateLookup<ReadOnlySpan<char>>();

    // Per command of the table (by OpInfo.Index): whether its only key is the first argument, the common case.
    private static readonly bool[] firstKeyOnly = BuildFirstKeyOnly();

    private static bool[] BuildFirstKeyOnly()
    {
        var r = new bool[OpTable.Count];
        foreach (var op in OpTable.All) r[op.Index] = !specs.ContainsKey(op.Name);
        return r;
    }

    /// <summary>Whether <paramref name="op"/>'s key is its first argument (what <see cref="Find"/> says, without a lookup by name).</summary>
    public static bool FirstKeyOnly(OpInfo op) => firstKeyOnly[op.Index];

    private static FrozenDictionary<string, Spec> Build()
    {
        var t = new Dictionary<string, Spec>(StringComparer.OrdinalIgnoreCase);
        void Add(Spec spec, string names)
        {
            foreach (var n in names.Split(' ', StringSplitOptions.RemoveEmptyEntries)) t[n] = spec;
        }
        Add(new(Kind.Range, 1, -1), "MGET EXISTS DEL UNLINK TOUCH WATCH SDIFF SINTER SUNION SDIFFSTORE SINTERSTORE SUNIONSTORE PFCOUNT PFMERGE");
        Add(new(Kind.Range, 1, -1, 2), "MSET MSETNX");
        Add(new(Kind.Range, 1, 2), "RPOPLPUSH LMOVE SMOVE BRPOPLPUSH BLMOVE GEOSEARCHSTORE ZRANGESTORE LCS RENAME RENAMENX COPY");
        Add(new(Kind.Range, 1, -2), "BLPOP BRPOP BZPOPMIN BZPOPMAX");
        Add(new(Kind.Range, 1, -1, 3), "SLOTSRESTORE");
        Add(new(Kind.Range, 2, 2), "XINFO XGROUP OBJECT");
        Add(new(Kind.Range, 2, -1), "BITOP");
        Add(new(Kind.NumKeysAt1), "ZUNION ZINTER ZDIFF SINTERCARD ZINTERCARD LMPOP ZMPOP");
        Add(new(Kind.NumKeysAt2), "ZUNIONSTORE ZINTERSTORE ZDIFFSTORE EVAL EVALSHA EVAL_RO EVALSHA_RO FCALL FCALL_RO");
        Add(new(Kind.NumKeysAfterTimeout), "BLMPOP BZMPOP");
        Add(new(Kind.Streams), "XREAD XREADGROUP");
        Add(new(Kind.Store), "SORT SORT_RO");
        // GEORADIUS key lon lat radius unit [options], GEORADIUSBYMEMBER key member radius unit [options]: STORE and
        // STOREDIST are only options after the unit, so a member or unit that reads "STORE" is not taken for one.
        Add(new(Kind.GeoStore, 6), "GEORADIUS");
        Add(new(Kind.GeoStore, 5), "GEORADIUSBYMEMBER");
        return t.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Adds the argument indexes of <paramref name="req"/>'s keys to <paramref name="keys"/>. Commands not in
    /// the table have their key at 1 when they have arguments (the proxy's routing rule). False when the
    /// request is malformed for its kind (a bad numkeys): the backend then reports the error itself.
    /// </summary>
    public static bool Find(RespRequest req, List<int> keys)
    {
        keys.Clear();
        var name = req[0];
        Spec spec = new(Kind.First);
        if (name.Length <= 32)
        {
            Span<char> chars = stackalloc char[name.Length];
            for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
            if (lookup.TryGetValue(chars, out var found)) spec = found;
        }
        int n = req.Count;
        switch (spec.Kind)
        {
            case Kind.First:
                if (n > 1) keys.Add(1);
                return true;
            case Kind.Range:
            {
                int last = spec.Last < 0 ? n + spec.Last : Math.Min(spec.Last, n - 1);
                for (int i = spec.First; i <= last; i += spec.Step) keys.Add(i);
                return true;
            }
            case Kind.NumKeysAt1:
            case Kind.NumKeysAt2:
            case Kind.NumKeysAfterTimeout:
            {
                int at = spec.Kind == Kind.NumKeysAt1 ? 1 : 2;
                if (spec.Kind == Kind.NumKeysAt2 && !IsScript(name) && n > 1) keys.Add(1); // the destination
                if (n <= at || !RespRequestParser.TryParseInteger(req[at], out long count) || count < 0 || count > n - at - 1)
                    return false;
                if (spec.Kind == Kind.NumKeysAfterTimeout && count == 0) return false;
                for (int i = 0; i < count; i++) keys.Add(at + 1 + i);
                return true;
            }
            case Kind.Streams:
            {
                int streams = StreamsIndex(req);
                if (streams < 0) return false;
                int half = (n - streams - 1) / 2;
                for (int i = 0; i < half; i++) keys.Add(streams + 1 + i);
                return half > 0;
            }
            case Kind.Store:
            case Kind.GeoStore:
                // Every word after STORE/STOREDIST: Redis writes the last one and names the first of each in its
                // key specs, so all of them must share the slot.
                if (n > 1) keys.Add(1);
                for (int i = spec.Kind == Kind.Store ? 2 : spec.First; i + 1 < n; i++)
                    if (Ascii.EqualsIgnoreCase(req[i], "STORE") || Ascii.EqualsIgnoreCase(req[i], "STOREDIST"))
                        keys.Add(++i);
                return true;
        }
        return true;
    }

    /// <summary>
    /// XREAD [COUNT n] [BLOCK ms] STREAMS key... id... / XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS ...:
    /// the index of STREAMS (the options before it are skipped by their shape, as Redis parses them), or -1 when
    /// there is none or the keys and IDs after it do not pair up (the server then says what is wrong).
    /// </summary>
    public static int StreamsIndex(RespRequest req)
    {
        int n = req.Count;
        bool group = Ascii.EqualsIgnoreCase(req[0], "XREADGROUP");
        for (int i = 1; i < n; i++)
        {
            var a = req[i];
            if (Ascii.EqualsIgnoreCase(a, "STREAMS")) return (n - i - 1) > 0 && (n - i - 1) % 2 == 0 ? i : -1;
            if (Ascii.EqualsIgnoreCase(a, "COUNT") || Ascii.EqualsIgnoreCase(a, "BLOCK")) i++;
            else if (group && Ascii.EqualsIgnoreCase(a, "GROUP")) i += 2;
            else if (!(group && Ascii.EqualsIgnoreCase(a, "NOACK"))) return -1;
        }
        return -1;
    }

    private static bool IsScript(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "EVAL") || Ascii.EqualsIgnoreCase(name, "EVALSHA") ||
        Ascii.EqualsIgnoreCase(name, "EVAL_RO") || Ascii.EqualsIgnoreCase(name, "EVALSHA_RO") ||
        Ascii.EqualsIgnoreCase(name, "FCALL") || Ascii.EqualsIgnoreCase(name, "FCALL_RO");
}
