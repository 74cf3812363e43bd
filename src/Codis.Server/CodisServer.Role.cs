namespace Codis.Server;

internal sealed partial class CodisServer
{
    /// <summary>"master" or "slave", as ROLE and INFO replication say it.</summary>
    public string Role { get; set; } = "master";
}
