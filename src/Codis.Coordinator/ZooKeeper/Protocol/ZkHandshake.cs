using Codis.Coordinator.ZooKeeper.Jute;

namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>The first packet of every connection (no request header): a new session (id 0) or a resumed one.</summary>
internal readonly record struct ConnectRequest(long LastZxidSeen, int TimeoutMs, long SessionId, byte[] Password)
{
    public const int PasswordLength = 16;

    public void WriteFrame(JuteWriter w)
    {
        int frame = w.BeginFrame();
        w.WriteInt(0); // protocol version
        w.WriteLong(LastZxidSeen);
        w.WriteInt(TimeoutMs);
        w.WriteLong(SessionId);
        w.WriteBuffer(Password);
        w.WriteBool(false); // read-only not wanted: Codis writes
        w.EndFrame(frame);
    }
}

/// <summary>The server's answer; TimeoutMs 0 means the session we asked to resume has expired.</summary>
internal readonly record struct ConnectResponse(int ProtocolVersion, int TimeoutMs, long SessionId, byte[] Password, bool ReadOnly)
{
    public bool Expired => TimeoutMs <= 0;

    public static ConnectResponse Read(ref JuteReader r)
    {
        int version = r.ReadInt();
        int timeout = r.ReadInt();
        long session = r.ReadLong();
        var password = r.ReadBuffer();
        bool readOnly = r.Remaining > 0 && r.ReadBool(); // old servers omit it
        return new ConnectResponse(version, timeout, session, password, readOnly);
    }
}

/// <summary>Header of every reply and notification after the handshake.</summary>
internal readonly record struct ReplyHeader(int Xid, long Zxid, int Err)
{
    public const int Size = 16;

    public static ReplyHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadLong(), r.ReadInt());
}
