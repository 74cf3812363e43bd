using Codis.Coordinator.ZooKeeper.Jute;

namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>A node's metadata (68 bytes on the wire).</summary>
public readonly record struct ZkStat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid)
{
    internal static ZkStat Read(ref JuteReader r) => new(
        r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadInt(),
        r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadLong());

    internal void Write(JuteWriter w)
    {
        w.WriteLong(Czxid); w.WriteLong(Mzxid); w.WriteLong(Ctime); w.WriteLong(Mtime);
        w.WriteInt(Version); w.WriteInt(Cversion); w.WriteInt(Aversion);
        w.WriteLong(EphemeralOwner); w.WriteInt(DataLength); w.WriteInt(NumChildren); w.WriteLong(Pzxid);
    }
}
