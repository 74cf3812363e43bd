using Etcdserverpb;
using Google.Protobuf;

namespace Codis.Coordinator.Etcd;

/// <summary>
/// How the coordinator tree maps onto etcd v3's flat key space:
/// - a node's key is its path, UTF-8 ("/codis3/demo/slots/slot-0000"); its value is the node's data and its
///   version is the key's mod revision;
/// - parents are explicit keys with empty values, created (if missing) in the same transaction as the child,
///   like ZooKeeper's mkdir -p; the root "/" is implicit and never stored;
/// - the children of P are the keys in [P + "/", P + "0") ('0' is '/' + 1) with no further '/' after the
///   prefix, because a v3 prefix range also holds all deeper descendants;
/// - a recursive delete of P deletes P and that range in one transaction;
/// - the counter for sequential children of P lives at "codis-sequence:" + P, outside every "/" range so it
///   never shows up as a node.
/// </summary>
internal static class EtcdKeys
{
    public static ByteString Key(string path) => ByteString.CopyFromUtf8(path);

    /// <summary>The prefix all descendants of <paramref name="path"/> share.</summary>
    public static string ChildPrefix(string path) => path == "/" ? "/" : path + "/";

    /// <summary>The end of the prefix range: the prefix with its last byte incremented ('/' → '0').</summary>
    public static ByteString RangeEnd(string prefix) => ByteString.CopyFromUtf8(prefix[..^1] + (char)(prefix[^1] + 1));

    public static ByteString SequenceKey(string parent) => ByteString.CopyFromUtf8("codis-sequence:" + parent);

    /// <summary>The child's name when <paramref name="key"/> is a direct child under <paramref name="prefix"/>, else null.</summary>
    public static string? DirectChild(ByteString key, string prefix)
    {
        string k = key.ToStringUtf8();
        if (!k.StartsWith(prefix, StringComparison.Ordinal) || k.Length == prefix.Length) return null;
        string rest = k[prefix.Length..];
        return rest.Contains('/') ? null : rest;
    }

    public static Compare Missing(ByteString key) => new()
    {
        Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0,
    };

    public static Compare Exists(ByteString key) => new()
    {
        Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0,
    };

    /// <summary>True when no key at all lies in the range (compare on a range holds for every key in it).</summary>
    public static Compare RangeEmpty(string prefix) => new()
    {
        Key = ByteString.CopyFromUtf8(prefix), RangeEnd = RangeEnd(prefix),
        Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0,
    };

    public static Compare ModIs(ByteString key, long revision) => new()
    {
        Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision,
    };

    public static Compare LeaseIs(ByteString key, long lease) => new()
    {
        Key = key, Target = Compare.Types.CompareTarget.Lease, Result = Compare.Types.CompareResult.Equal, Lease = lease,
    };

    public static RequestOp Put(ByteString key, ReadOnlySpan<byte> value, long lease = 0, bool ignoreLease = false)
        => new() { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(value), Lease = lease, IgnoreLease = ignoreLease } };

    public static RequestOp Get(ByteString key) => new() { RequestRange = new RangeRequest { Key = key } };

    public static RequestOp Delete(ByteString key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = key } };

    public static RequestOp DeleteRange(string prefix)
        => new() { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = RangeEnd(prefix) } };

    /// <summary>Nested transactions that create each missing ancestor of <paramref name="path"/> as an empty persistent key.</summary>
    public static IEnumerable<RequestOp> EnsureAncestors(string path)
    {
        for (string p = CoordinatorPath.Parent(path); p != "/"; p = CoordinatorPath.Parent(p))
        {
            var key = Key(p);
            var txn = new TxnRequest();
            txn.Compare.Add(Missing(key));
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.Empty } });
            yield return new RequestOp { RequestTxn = txn };
        }
    }
}
