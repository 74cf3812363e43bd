using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>Typed lookups for the collection commands: WRONGTYPE, create-on-write, delete-when-empty.</summary>
internal static class CollectionAccess
{
    /// <summary>
    /// Finds a key for reading as <typeparamref name="T"/>. Returns false (WRONGTYPE already replied) when it
    /// holds another type; <paramref name="value"/> is null when the key does not exist.
    /// </summary>
    public static bool TryGet<T>(CommandContext ctx, ReadOnlySpan<byte> key, out T? value) where T : class =>
        As(ctx, ctx.Db.Get(key), out value);

    /// <summary>As <see cref="TryGet{T}"/> for a key a writing command only reads (<see cref="Database.GetForRead"/>).</summary>
    public static bool TryGetForRead<T>(CommandContext ctx, ReadOnlySpan<byte> key, out T? value) where T : class =>
        As(ctx, ctx.Db.GetForRead(key), out value);

    /// <summary>As <see cref="TryGet{T}"/> on any database, for commands that look at several.</summary>
    public static bool TryGet<T>(CommandContext ctx, Database db, ReadOnlySpan<byte> key, out T? value) where T : class =>
        As(ctx, db.Get(key), out value);

    private static bool As<T>(CommandContext ctx, object? found, out T? value) where T : class
    {
        value = found as T;
        if (found == null || value != null) return true;
        ctx.WrongType();
        return false;
    }

    /// <summary>The existing value, or a new one stored under the key (callers then fill it).</summary>
    public static bool TryGetOrCreate<T>(CommandContext ctx, int keyArg, Func<T> create, out T value) where T : class
    {
        var found = ctx.Db.Get(ctx.Arg(keyArg));
        if (found == null)
        {
            value = create();
            ctx.Db.Add(ctx.ArgBytes(keyArg), value, 0);
            return true;
        }
        value = (found as T)!;
        if (value != null) return true;
        ctx.WrongType();
        return false;
    }

    /// <summary>Tells the keyspace a value changed in place (WATCH, blocked clients, dirty counter).</summary>
    public static void Modified(CommandContext ctx, ReadOnlySpan<byte> key) => ctx.Keyspace.OnModified(ctx.Db, key);

    /// <summary><see cref="Modified(CommandContext, ReadOnlySpan{byte})"/> and the command's keyspace event.</summary>
    public static void Modified(CommandContext ctx, ReadOnlySpan<byte> key, PubSub.NotifyType type, ReadOnlySpan<byte> name)
    {
        ctx.Keyspace.OnModified(ctx.Db, key);
        ctx.Notify(type, name, key);
    }

    /// <summary>
    /// <see cref="AfterRemove(CommandContext, ReadOnlySpan{byte}, int)"/> with the command's event first: Redis
    /// announces the removal ("hdel"), then the key's "del" when it went empty.
    /// </summary>
    public static void AfterRemove(CommandContext ctx, ReadOnlySpan<byte> key, int remaining, PubSub.NotifyType type, ReadOnlySpan<byte> name)
    {
        ctx.Notify(type, name, key);
        AfterRemove(ctx, key, remaining);
    }

    /// <summary>After removing elements: deletes the key when the collection is empty, else reports the change.</summary>
    public static void AfterRemove(CommandContext ctx, ReadOnlySpan<byte> key, int remaining)
    {
        if (remaining == 0) Delete(ctx, ctx.Db, key);
        else Modified(ctx, key);
    }

    /// <summary>A key that a command empties or replaces by nothing goes, with its "del" event when it existed.</summary>
    public static void Delete(CommandContext ctx, Database db, ReadOnlySpan<byte> key)
    {
        if (db.Remove(key)) ctx.Keyspace.Notify(PubSub.NotifyType.Generic, "del"u8, db, key);
    }

    /// <summary>Replaces a destination key with a computed value (the *STORE commands); an empty result deletes it.</summary>
    public static void Store(CommandContext ctx, Database db, int keyArg, object? value, bool empty, PubSub.NotifyType type, ReadOnlySpan<byte> name)
    {
        var key = ctx.Arg(keyArg);
        if (empty)
        {
            Delete(ctx, db, key);
            return;
        }
        db.Set(key, value!, 0);
        ctx.Keyspace.Notify(type, name, db, key);
    }
}
