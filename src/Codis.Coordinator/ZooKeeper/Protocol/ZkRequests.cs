using Codis.Coordinator.ZooKeeper.Jute;

namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>
/// Request records (zookeeper.jute), written after a RequestHeader{xid, type}. The same record bodies are used
/// inside multi, so each op has one body writer.
/// </summary>
internal static class ZkRequests
{
    public static void WriteHeader(JuteWriter w, int xid, ZkOpCode op)
    {
        w.WriteInt(xid);
        w.WriteInt((int)op);
    }

    public static void WriteCreate(JuteWriter w, string path, ReadOnlySpan<byte> data, IReadOnlyList<ZkAcl> acl, ZkCreateMode mode)
    {
        w.WriteString(path);
        w.WriteBuffer(data);
        ZkAcl.WriteVector(w, acl);
        w.WriteInt((int)mode);
    }

    public static void WriteDelete(JuteWriter w, string path, int version)
    {
        w.WriteString(path);
        w.WriteInt(version);
    }

    /// <summary>Exists, GetData, GetChildren2 share the shape {path, watch}.</summary>
    public static void WritePathWatch(JuteWriter w, string path, bool watch)
    {
        w.WriteString(path);
        w.WriteBool(watch);
    }

    public static void WriteSetData(JuteWriter w, string path, ReadOnlySpan<byte> data, int version)
    {
        w.WriteString(path);
        w.WriteBuffer(data);
        w.WriteInt(version);
    }

    public static void WriteCheck(JuteWriter w, string path, int version)
    {
        w.WriteString(path);
        w.WriteInt(version);
    }

    public static void WriteAuth(JuteWriter w, string scheme, ReadOnlySpan<byte> auth)
    {
        w.WriteInt(0);
        w.WriteString(scheme);
        w.WriteBuffer(auth);
    }

    public static void WriteSetWatches(JuteWriter w, long relativeZxid, IReadOnlyCollection<string> data, IReadOnlyCollection<string> exist, IReadOnlyCollection<string> child)
    {
        w.WriteLong(relativeZxid);
        w.WriteStringVector(data);
        w.WriteStringVector(exist);
        w.WriteStringVector(child);
    }

    /// <summary>A whole request frame: header + body.</summary>
    public static JuteWriter Frame(int xid, ZkOpCode op, Action<JuteWriter>? body)
    {
        var w = new JuteWriter();
        int frame = w.BeginFrame();
        WriteHeader(w, xid, op);
        body?.Invoke(w);
        w.EndFrame(frame);
        return w;
    }
}
