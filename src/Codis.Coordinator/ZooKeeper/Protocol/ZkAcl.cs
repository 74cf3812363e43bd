using System.Security.Cryptography;
using System.Text;
using Codis.Coordinator.ZooKeeper.Jute;

namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>ACL permission bits (ZooDefs.Perms).</summary>
[Flags]
public enum ZkPerms
{
    Read = 1,
    Write = 2,
    Create = 4,
    Delete = 8,
    Admin = 16,
    All = 31,
}

/// <summary>One ACL entry: permissions for an identity (scheme + id).</summary>
public sealed record ZkAcl(ZkPerms Perms, string Scheme, string Id)
{
    /// <summary>world:anyone with every permission.</summary>
    public static IReadOnlyList<ZkAcl> OpenUnsafe { get; } = [new(ZkPerms.All, "world", "anyone")];

    /// <summary>The digest identity of "user:password": user:base64(sha1("user:password")).</summary>
    public static string DigestId(string userColonPassword)
    {
        int colon = userColonPassword.IndexOf(':');
        if (colon <= 0) throw new ArgumentException("digest auth must be \"user:password\"");
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(userColonPassword));
        return userColonPassword[..colon] + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>Only the digest user may touch the node.</summary>
    public static IReadOnlyList<ZkAcl> Digest(string userColonPassword, ZkPerms perms = ZkPerms.All) =>
        [new(perms, "digest", DigestId(userColonPassword))];

    internal static void WriteVector(JuteWriter w, IReadOnlyList<ZkAcl> acl)
    {
        w.WriteInt(acl.Count);
        foreach (var a in acl)
        {
            w.WriteInt((int)a.Perms);
            w.WriteString(a.Scheme);
            w.WriteString(a.Id);
        }
    }
}
