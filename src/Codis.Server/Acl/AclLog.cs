namespace Codis.Server.Acl;

/// <summary>
/// ACL LOG: the latest denials, newest first, at most acllog-max-len. A denial like a recent one (same reason,
/// context, object and user, within 60 s) counts on that entry instead of adding one, as Redis 7.0 groups them.
/// </summary>
internal sealed class AclLog
{
    private const long GroupingMs = 60_000;
    private readonly LinkedList<Entry> entries = new();

    internal sealed class Entry
    {
        public long Count;
        public required string Reason;
        public required string Context;
        public required string Object;
        public required string Username;
        public long CreatedMs;
        public required string ClientInfo;
    }

    public int Count => entries.Count;

    public IEnumerable<Entry> Newest(long count) => entries.Take((int)Math.Min(count, int.MaxValue));

    public void Reset() => entries.Clear();

    public void Add(AclDenial denial, string context, string obj, string username, string clientInfo, int maxLen)
    {
        string reason = denial switch { AclDenial.Command => "command", AclDenial.Key => "key", AclDenial.Channel => "channel", _ => "auth" };
        long now = Environment.TickCount64;
        foreach (var e in entries.Take(10))
        {
            if (e.Reason == reason && e.Context == context && e.Object == obj && e.Username == username && now - e.CreatedMs < GroupingMs)
            {
                e.Count++;
                e.CreatedMs = now;
                e.ClientInfo = clientInfo;
                entries.Remove(e);
                entries.AddFirst(e);
                return;
            }
        }
        entries.AddFirst(new Entry { Count = 1, Reason = reason, Context = context, Object = obj, Username = username, CreatedMs = now, ClientInfo = clientInfo });
        while (entries.Count > Math.Max(0, maxLen)) entries.RemoveLast();
    }
}
