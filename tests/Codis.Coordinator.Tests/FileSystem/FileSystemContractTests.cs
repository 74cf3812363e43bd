using Codis.Coordinator.FileSystem;
using Codis.Coordinator.Tests.Contract;

namespace Codis.Coordinator.Tests.FileSystem;

/// <summary>The shared contract against the filesystem backend on a temp root.</summary>
public sealed class FileSystemContractTests(FileSystemRoot root) : CoordinatorContractTests, IClassFixture<FileSystemRoot>
{
    protected override async Task<ICoordinator> OpenAsync() => await FileSystemCoordinator.OpenAsync(root.Options);

    protected override CoordinatorOptions OwnerOptions => root.Options;

    // The owner's pid and start time are checked by every reader: a killed owner's node is gone at once.
    protected override TimeSpan EphemeralExpiry => TimeSpan.Zero;
}
