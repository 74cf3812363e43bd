using System.Buffers.Text;
using System.Text;
using Codis.Core.Config;
using Codis.Server.Storage;

namespace Codis.Server.PubSub;

/// <summary>The event classes of notify-keyspace-events (Redis 7.0's letters in the comments).</summary>
[Flags]
internal enum NotifyType
{
    None = 0,
    Keyspace = 1 << 0,  // K: __keyspace@<db>__:<key> carries the event
    Keyevent = 1 << 1,  // E: __keyevent@<db>__:<event> carries the key
    Generic = 1 << 2,   // g: DEL, EXPIRE, RENAME, ...
    String = 1 << 3,    // $
    List = 1 << 4,      // l
    Set = 1 << 5,       // s
    Hash = 1 << 6,      // h
    ZSet = 1 << 7,      // z
    Expired = 1 << 8,   // x
    Evicted = 1 << 9,   // e
    Stream = 1 << 10,   // t
    KeyMiss = 1 << 11,  // m (not part of A)
    Module = 1 << 12,   // d (no modules here: accepted, never raised)
    New = 1 << 13,      // n (not part of A)
    All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module, // A
}

/// <summary>
/// Keyspace notifications: what commands, expiry and eviction report through <see cref="Keyspace.Notify"/> is
/// published as Redis does, to __keyspace@db__:key (payload: the event) then __keyevent@db__:event (payload: the
/// key). The keyspace holds an instance only while notify-keyspace-events enables something, so with the
/// setting empty a write pays one null check; channel names are built only while anyone subscribes at all.
/// </summary>
internal sealed class KeyspaceEvents(NotifyType flags, PubSubHub hub)
{
    private byte[] channel = new byte[256];

    public NotifyType Flags { get; } = flags;

    /// <summary>Reads the setting now and after every CONFIG SET of it.</summary>
    public static void Attach(Setting setting, Keyspace keyspace, PubSubHub hub)
    {
        void Apply(Setting s)
        {
            var flags = TryParse(s.Given, out var f) ? f : NotifyType.None;
            bool publishes = (flags & (NotifyType.Keyspace | NotifyType.Keyevent)) != 0 && (flags & ~(NotifyType.Keyspace | NotifyType.Keyevent)) != 0;
            keyspace.Events = publishes ? new KeyspaceEvents(flags, hub) : null;
        }
        Apply(setting);
        setting.Changed = Apply;
    }

    public const string InvalidClass = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

    /// <summary>The setting's letters; false on any other character (spaces included), as Redis.</summary>
    public static bool TryParse(string text, out NotifyType flags)
    {
        flags = NotifyType.None;
        foreach (char c in text)
        {
            flags |= c switch
            {
                'A' => NotifyType.All,
                'g' => NotifyType.Generic,
                '$' => NotifyType.String,
                'l' => NotifyType.List,
                's' => NotifyType.Set,
                'h' => NotifyType.Hash,
                'z' => NotifyType.ZSet,
                'x' => NotifyType.Expired,
                'e' => NotifyType.Evicted,
                'K' => NotifyType.Keyspace,
                'E' => NotifyType.Keyevent,
                't' => NotifyType.Stream,
                'm' => NotifyType.KeyMiss,
                'd' => NotifyType.Module,
                'n' => NotifyType.New,
                _ => NotifyType.None,
            };
            if (!"Ag$lshzxeKEtmdn".Contains(c)) return false;
        }
        return true;
    }

    public static string? Validate(string text) => TryParse(text, out _) ? null : InvalidClass;

    /// <summary>
    /// What CONFIG GET shows: "A" when every class of A is on, else the class letters; then K, E, m. As in
    /// Redis 7.0, 'n' shows only without A ("KEAn" reads back "AKE", and still raises "new").
    /// </summary>
    public static string Format(string text)
    {
        TryParse(text, out var flags);
        var sb = new StringBuilder();
        if ((flags & NotifyType.All) == NotifyType.All) sb.Append('A');
        else
        {
            foreach (var (type, letter) in ClassLetters)
                if ((flags & type) != 0) sb.Append(letter);
        }
        if ((flags & NotifyType.Keyspace) != 0) sb.Append('K');
        if ((flags & NotifyType.Keyevent) != 0) sb.Append('E');
        if ((flags & NotifyType.KeyMiss) != 0) sb.Append('m');
        return sb.ToString();
    }

    private static readonly (NotifyType Type, char Letter)[] ClassLetters =
    [
        (NotifyType.Generic, 'g'), (NotifyType.String, '$'), (NotifyType.List, 'l'), (NotifyType.Set, 's'),
        (NotifyType.Hash, 'h'), (NotifyType.ZSet, 'z'), (NotifyType.Expired, 'x'), (NotifyType.Evicted, 'e'),
        (NotifyType.Stream, 't'), (NotifyType.Module, 'd'), (NotifyType.New, 'n'),
    ];

    /// <summary>One event of a key (under the keyspace lock, in the order the command makes its changes).</summary>
    public void Publish(NotifyType type, ReadOnlySpan<byte> name, int db, ReadOnlySpan<byte> key)
    {
        if ((Flags & type) == 0 || !hub.HasSubscribers) return;
        if ((Flags & NotifyType.Keyspace) != 0) hub.Publish(Channel("__keyspace@"u8, db, key), name);
        if ((Flags & NotifyType.Keyevent) != 0) hub.Publish(Channel("__keyevent@"u8, db, name), key);
    }

    /// <summary>prefix + db + "__:" + suffix, in a buffer reused for every event.</summary>
    private ReadOnlySpan<byte> Channel(ReadOnlySpan<byte> prefix, int db, ReadOnlySpan<byte> suffix)
    {
        int need = prefix.Length + 11 + 3 + suffix.Length;
        if (channel.Length < need) channel = new byte[Math.Max(need, channel.Length * 2)];
        prefix.CopyTo(channel);
        int pos = prefix.Length;
        Utf8Formatter.TryFormat(db, channel.AsSpan(pos), out int n);
        pos += n;
        "__:"u8.CopyTo(channel.AsSpan(pos));
        pos += 3;
        suffix.CopyTo(channel.AsSpan(pos));
        return channel.AsSpan(0, pos + suffix.Length);
    }
}
