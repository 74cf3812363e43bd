using System.Text;

namespace Codis.Server.Acl;

/// <summary>How a key pattern may be used: %R~ reads, %W~ writes, ~ (or %RW~) both.</summary>
[Flags]
internal enum AclKeyAccess : byte { None = 0, Read = 1, Write = 2, ReadWrite = Read | Write }

internal sealed class AclKeyPattern(byte[] pattern, AclKeyAccess access)
{
    public byte[] Pattern { get; } = pattern;
    public AclKeyAccess Access { get; set; } = access;

    public string Describe()
    {
        string text = Encoding.UTF8.GetString(Pattern);
        return Access switch { AclKeyAccess.Read => "%R~" + text, AclKeyAccess.Write => "%W~" + text, _ => "~" + text };
    }
}
