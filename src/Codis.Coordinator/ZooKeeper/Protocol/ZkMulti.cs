using Codis.Coordinator.ZooKeeper.Jute;

namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>One operation of a multi (transaction): all of them apply, or none.</summary>
public abstract record ZkOp(string Path)
{
    internal abstract ZkOpCode Code { get; }
    internal abstract void WriteBody(JuteWriter w, IReadOnlyList<ZkAcl> defaultAcl);

    public static ZkOp Create(string path, ReadOnlyMemory<byte> data, ZkCreateMode mode = ZkCreateMode.Persistent, IReadOnlyList<ZkAcl>? acl = null) =>
        new CreateOp(path, data, mode, acl);
    public static ZkOp Delete(string path, int version = -1) => new DeleteOp(path, version);
    public static ZkOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) => new SetDataOp(path, data, version);
    public static ZkOp Check(string path, int version) => new CheckOp(path, version);

    private sealed record CreateOp(string Path, ReadOnlyMemory<byte> Data, ZkCreateMode Mode, IReadOnlyList<ZkAcl>? Acl) : ZkOp(Path)
    {
        internal override ZkOpCode Code => ZkOpCode.Create;
        internal override void WriteBody(JuteWriter w, IReadOnlyList<ZkAcl> defaultAcl) =>
            ZkRequests.WriteCreate(w, Path, Data.Span, Acl ?? defaultAcl, Mode);
    }

    private sealed record DeleteOp(string Path, int Version) : ZkOp(Path)
    {
        internal override ZkOpCode Code => ZkOpCode.Delete;
        internal override void WriteBody(JuteWriter w, IReadOnlyList<ZkAcl> defaultAcl) => ZkRequests.WriteDelete(w, Path, Version);
    }

    private sealed record SetDataOp(string Path, ReadOnlyMemory<byte> Data, int Version) : ZkOp(Path)
    {
        internal override ZkOpCode Code => ZkOpCode.SetData;
        internal override void WriteBody(JuteWriter w, IReadOnlyList<ZkAcl> defaultAcl) => ZkRequests.WriteSetData(w, Path, Data.Span, Version);
    }

    private sealed record CheckOp(string Path, int Version) : ZkOp(Path)
    {
        internal override ZkOpCode Code => ZkOpCode.Check;
        internal override void WriteBody(JuteWriter w, IReadOnlyList<ZkAcl> defaultAcl) => ZkRequests.WriteCheck(w, Path, Version);
    }
}

/// <summary>The outcome of one multi op: its type, error (0 = ok), created path, new stat.</summary>
public sealed record ZkOpResult(ZkOpCode Type, ZkErrorCode Error, string? CreatedPath = null, ZkStat? Stat = null);

internal static class ZkMulti
{
    /// <summary>MultiHeader{type, done=false, err=-1} + body per op, then MultiHeader{-1, true, -1}.</summary>
    public static void WriteRequest(JuteWriter w, IReadOnlyList<ZkOp> ops, IReadOnlyList<ZkAcl> defaultAcl)
    {
        foreach (var op in ops)
        {
            w.WriteInt((int)op.Code);
            w.WriteBool(false);
            w.WriteInt(-1);
            op.WriteBody(w, defaultAcl);
        }
        w.WriteInt(-1);
        w.WriteBool(true);
        w.WriteInt(-1);
    }

    /// <summary>Reads results until done; a failed multi has every result of type -1 with ErrorResponse{err}.</summary>
    public static List<ZkOpResult> ReadResponse(ref JuteReader r)
    {
        var results = new List<ZkOpResult>();
        while (true)
        {
            int type = r.ReadInt();
            bool done = r.ReadBool();
            int err = r.ReadInt();
            if (done) return results;
            switch ((ZkOpCode)type)
            {
                case ZkOpCode.Create:
                    results.Add(new ZkOpResult(ZkOpCode.Create, ZkErrorCode.Ok, r.ReadString()));
                    break;
                case ZkOpCode.Create2:
                    results.Add(new ZkOpResult(ZkOpCode.Create2, ZkErrorCode.Ok, r.ReadString(), ZkStat.Read(ref r)));
                    break;
                case ZkOpCode.SetData:
                    results.Add(new ZkOpResult(ZkOpCode.SetData, ZkErrorCode.Ok, null, ZkStat.Read(ref r)));
                    break;
                case ZkOpCode.Delete:
                case ZkOpCode.Check:
                    results.Add(new ZkOpResult((ZkOpCode)type, ZkErrorCode.Ok));
                    break;
                case ZkOpCode.Error:
                    results.Add(new ZkOpResult(ZkOpCode.Error, (ZkErrorCode)r.ReadInt()));
                    break;
                default:
                    throw new ZkProtocolException($"unexpected multi result type {type} (err {err})");
            }
        }
    }
}
