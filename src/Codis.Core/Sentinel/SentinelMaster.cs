namespace Codis.Core.Sentinel;

/// <summary>A Codis group's master as one sentinel reports it (SENTINEL MASTERS): its address, config-epoch and run id.</summary>
public sealed record SentinelMaster(int Gid, string Name, string Addr, long Epoch, string RunId, string Flags);
