using System.Runtime.InteropServices;
using System.Text;
using Codis.Core.Logging;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Migration;

/// <summary>
/// MIGRATE: moves (or with COPY copies) keys to another server as RESTORE commands carrying our DUMP payloads and
/// the keys' remaining TTLs, then deletes the moved keys here (propagated as DEL).
/// <para>
/// Redis blocks its whole server for the round trip; here only the calling client waits. The keys are serialized
/// under the keyspace lock, the network part runs on a pool thread without it, and the lock is taken again to
/// delete what the target restored. A key written, deleted or expired here meanwhile (watched through the
/// keyspace's change events, and by value identity for FLUSHDB or SWAPDB) is brought up to date on the target
/// under the lock before the reply (RESTORE REPLACE of its new value, or DEL): so the move takes effect at that
/// moment, atomically, as if the whole command had run then. Inside MULTI or a script, where a command cannot
/// wait, all of it runs under the lock, as in Redis.
/// </para>
/// </summary>
internal static class MigrateCommand
{
    private sealed record Item(byte[] Key, object Value, long ExpireAt, byte[] Payload);

    [Command("migrate", -6, Flags = CommandFlags.Write, FirstKey = 3, LastKey = 3, Step = 1, MigrateKeys = true, KeyFlags = "RW access delete", Group = "generic", AclCategories = "@keyspace @dangerous", Tips = "nondeterministic_output", Summary = "Atomically transfer a key from a Redis instance to another one.")]
    public static void Migrate(CommandContext ctx)
    {
        var o = MigrateOptions.Parse(ctx);
        if (o == null) return;
        var items = Snapshot(ctx.Db, o.Keys, ctx.Now);
        if (items.Count == 0)
        {
            ctx.Reply.WriteSimpleString("NOKEY");
            return;
        }
        var commands = items.Select(i => RestoreOf(i, o.Replace, ctx.Now)).ToList();
        if (ctx.DenyBlocking || ctx.Output == null || ctx.Client.IsMasterLink)
        {
            RunLocked(ctx, o, items, commands);
            return;
        }
        var server = ctx.Server;
        var watch = o.Copy ? null : new ChangeWatch(server.Keyspace, ctx.Db, items.Select(i => i.Key));
        int dbIndex = ctx.Client.DbIndex;
        ctx.Deferred = Task.Run(() =>
        {
            try
            {
                return RunDeferred(server, dbIndex, o, items, commands, watch);
            }
            catch (Exception e)
            {
                // A bug, not the network (I/O errors are replies): the client still gets an answer, the watch ends.
                Log.Error("migrate failed", ("error", e.ToString()));
                lock (server.Keyspace.Lock) watch?.Stop();
                return Encoding.UTF8.GetBytes("-ERR migrate failed: " + e.Message.Replace('\r', ' ').Replace('\n', ' ') + "\r\n");
            }
        });
    }

    /// <summary>The live keys among <paramref name="keys"/> (missing and expired ones are skipped), serialized now.</summary>
    private static List<Item> Snapshot(Database db, List<byte[]> keys, long now)
    {
        var items = new List<Item>(keys.Count);
        foreach (var key in keys)
        {
            if (!db.TryFind(key, out var table, out int index)) continue;
            ref var e = ref table.At(index);
            items.Add(new Item(key, e.Value!, e.ExpireAt, DumpPayload.Serialize(e.Value!)));
        }
        return items;
    }

    /// <summary>RESTORE with the remaining TTL (at least 1 ms, as Redis sends it; 0 = none).</summary>
    private static byte[][] RestoreOf(Item item, bool replace, long now) =>
        MigrateTransfer.Restore(item.Key, item.ExpireAt == 0 ? 0 : Math.Max(1, item.ExpireAt - now), item.Payload, replace);

    /// <summary>The whole migration under the lock the caller holds (MULTI, scripts): the deletes propagate as the command's rewrite.</summary>
    private static void RunLocked(CommandContext ctx, MigrateOptions o, List<Item> items, List<byte[][]> commands)
    {
        var links = ctx.Server.MigrateLinks;
        var result = Transfer(links, o, commands);
        if (result.Applied.Length > 0 && !o.Copy)
        {
            var deleted = DeleteApplied(ctx.Db, items, result);
            if (deleted.Count > 0) ctx.Rewrite = [["DEL"u8.ToArray(), .. deleted]];
        }
        if (result.Error != null) ctx.Error(result.Error);
        else ctx.Ok();
    }

    /// <summary>The network part on a pool thread, then the deletes under the lock; gives the encoded reply.</summary>
    private static byte[] RunDeferred(CodisServer server, int dbIndex, MigrateOptions o, List<Item> items, List<byte[][]> commands, ChangeWatch? watch)
    {
        string? error;
        var link = Transfer(server.MigrateLinks, o, commands, keepLink: watch != null, out var result);
        error = result.Error;
        lock (server.Keyspace.Lock)
        {
            watch?.Stop();
            if (watch != null && result.AnyApplied)
            {
                server.Keyspace.RefreshClock();
                var db = server.Keyspace[dbIndex];
                bool Unchanged(Item i) => !watch.Changed(i.Key) && db.TryPeek(i.Key, out var t, out int x)
                    && ReferenceEquals(t.At(x).Value, i.Value) && t.At(x).ExpireAt == i.ExpireAt;
                var stale = new List<int>();
                for (int i = 0; i < items.Count; i++)
                    if (result.Applied[i] && !Unchanged(items[i])) stale.Add(i);
                if (stale.Count > 0 && !Resync(server, link, o, db, items, stale, result)) error ??= result.Error;
                var deleted = DeleteApplied(db, items, result);
                if (deleted.Count > 0) server.Propagation.Emit(dbIndex, ["DEL"u8.ToArray(), .. deleted]);
            }
        }
        if (link != null) server.MigrateLinks.Return(link);
        server.Persistence.Aof.Commit();
        return error == null ? "+OK\r\n"u8.ToArray() : Encoding.UTF8.GetBytes("-" + error.Replace('\r', ' ').Replace('\n', ' ') + "\r\n");
    }

    /// <summary>
    /// Keys that changed here while their copies travelled: their current values (or DEL for those now gone) go to
    /// the target under the lock, so that what is deleted here is what the target holds. A key whose update failed
    /// stays here (<see cref="TransferResult.Applied"/> cleared); false when one did.
    /// </summary>
    private static bool Resync(CodisServer server, MigrateLink? link, MigrateOptions o, Database db, List<Item> items, List<int> stale, TransferResult result)
    {
        var commands = new List<byte[][]>(stale.Count);
        var current = new List<Item?>(stale.Count);
        foreach (int i in stale)
        {
            var now = Snapshot(db, [items[i].Key], server.Keyspace.Now);
            current.Add(now.Count == 1 ? now[0] : null);
            commands.Add(now.Count == 1 ? RestoreOf(now[0], replace: true, server.Keyspace.Now) : MigrateTransfer.Delete(items[i].Key));
        }
        var update = link == null ? null : MigrateTransfer.Send(link, o, commands);
        for (int j = 0; j < stale.Count; j++)
        {
            bool ok = update != null && update.Applied[j] && current[j] != null;
            result.Applied[stale[j]] = ok;
            if (ok) items[stale[j]] = current[j]!;
        }
        if (update is { Error: null }) return true;
        result.Error = update?.Error ?? MigrateLinks.WriteError;
        return false;
    }

    /// <summary>Deletes the keys the target restored; returns them.</summary>
    private static List<byte[]> DeleteApplied(Database db, List<Item> items, TransferResult result)
    {
        var deleted = new List<byte[]>();
        for (int i = 0; i < items.Count; i++)
            if (result.Applied[i] && db.Remove(items[i].Key)) deleted.Add(items[i].Key);
        return deleted;
    }

    private static TransferResult Transfer(MigrateLinks links, MigrateOptions o, List<byte[][]> commands)
    {
        var link = Transfer(links, o, commands, keepLink: false, out var result);
        if (link != null) links.Return(link);
        return result;
    }

    /// <summary>
    /// Takes a link (cached or new) and sends; after an I/O error on a cached link that was not a timeout, retries
    /// once on a fresh connection, as Redis does (the target may have closed an idle link). Returns the link when it
    /// is still usable and <paramref name="keepLink"/> (the caller returns it), else returns it to the cache itself.
    /// </summary>
    private static MigrateLink? Transfer(MigrateLinks links, MigrateOptions o, List<byte[][]> commands, bool keepLink, out TransferResult result)
    {
        var link = links.Take(o, out string? error);
        result = new TransferResult(commands.Count);
        if (link == null)
        {
            result.Error = error;
            return null;
        }
        result = MigrateTransfer.Send(link, o, commands);
        if (result.LinkFailed && link.Reused && !result.TimedOut && !result.AnyApplied)
        {
            link.Connection.Dispose();
            link = MigrateLinks.Open(o, out error);
            if (link == null)
            {
                result.Error = error;
                return null;
            }
            result = MigrateTransfer.Send(link, o, commands);
        }
        if (result.LinkFailed)
        {
            link.Connection.Dispose();
            return null;
        }
        if (keepLink) return link;
        links.Return(link);
        return null;
    }

    /// <summary>Marks keys of a migration in flight that are written, deleted or expire meanwhile.</summary>
    private sealed class ChangeWatch
    {
        private readonly Keyspace keyspace;
        private readonly Database db;
        private readonly HashSet<byte[]> keys = new(ByteArrayComparer.Instance);
        private readonly HashSet<byte[]> changed = new(ByteArrayComparer.Instance);
        private readonly Action<Database, ReadOnlyMemory<byte>> handler;

        public ChangeWatch(Keyspace keyspace, Database db, IEnumerable<byte[]> watched)
        {
            this.keyspace = keyspace;
            this.db = db;
            keys.UnionWith(watched);
            handler = OnChange;
            keyspace.KeyModified += handler;
            keyspace.KeyChangedQuietly += handler;
        }

        private void OnChange(Database d, ReadOnlyMemory<byte> key)
        {
            if (d != db) return;
            var k = MemoryMarshal.TryGetArray(key, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array : key.ToArray();
            if (keys.Contains(k)) changed.Add(k);
        }

        public bool Changed(byte[] key) => changed.Contains(key);

        public void Stop()
        {
            keyspace.KeyModified -= handler;
            keyspace.KeyChangedQuietly -= handler;
        }
    }
}
