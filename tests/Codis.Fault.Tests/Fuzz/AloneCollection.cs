namespace Codis.Fault.Tests.Fuzz;

/// <summary>
/// The fuzzer and the three-host partition load the machine and time their clients: they run on their own, not
/// alongside the other test classes (xunit runs classes in parallel otherwise).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "hostile input and partitions, run alone";
}
