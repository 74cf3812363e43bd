using System.Runtime.InteropServices;
using Codis.Coordinator;
using Codis.Coordinator.FileSystem;

// A child process for the coordinator tests (an "other process" on the same coordinator).
//   --ephemeral PATH [--sequential]   create an ephemeral node, print "ready <real path>", wait
//   --create PATH [--go-file F]       print "armed", wait for F to exist, Create; print "won" or "lost"
//   --increment PATH [--count N]      add 1 to the number in PATH N times by compare-and-set; print "done"
//   --update PATH --crash-before-rename   filesystem only: kill -9 itself between the temp write and the rename
//   --hold-file F                     hold F open with FileShare.None (flock), print "ready", wait
// Common: --name NAME --addr ADDR [--auth user:password] [--session-ms N] [--data TEXT].
// It waits until its stdin closes (the test ended or died) or it is killed: "owner dies" tests kill -9 it.
var opts = new Dictionary<string, string>();
var flags = new HashSet<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--sequential" or "--crash-before-rename") flags.Add(args[i]);
    else if (args[i].StartsWith("--") && i + 1 < args.Length) opts[args[i]] = args[++i];
    else { Console.Error.WriteLine($"unexpected argument '{args[i]}'"); return 2; }
}

if (opts.TryGetValue("--hold-file", out var held))
{
    using var fs = new FileStream(held, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    Console.WriteLine("ready");
    WaitForStdinToClose();
    return 0;
}

var options = new CoordinatorOptions
{
    Name = opts.GetValueOrDefault("--name", "filesystem"),
    Address = opts.GetValueOrDefault("--addr", "/tmp/codis"),
    Auth = opts.GetValueOrDefault("--auth", ""),
    SessionTimeout = TimeSpan.FromMilliseconds(int.Parse(opts.GetValueOrDefault("--session-ms", "2000"))),
};
byte[] data = System.Text.Encoding.UTF8.GetBytes(opts.GetValueOrDefault("--data", "owner"));

await using var coordinator = await CoordinatorFactory.OpenAsync(options);

if (opts.TryGetValue("--create", out var createPath))
{
    Console.WriteLine("armed");
    if (opts.TryGetValue("--go-file", out var go))
        while (!File.Exists(go)) Thread.SpinWait(100);
    try
    {
        await coordinator.CreateAsync(createPath, data);
        Console.WriteLine("won");
    }
    catch (NodeExistsException)
    {
        Console.WriteLine("lost");
    }
    return 0;
}

if (opts.TryGetValue("--increment", out var counterPath))
{
    // Read-modify-write with compare-and-set, retried on a lost race: no increment may get lost.
    int count = int.Parse(opts.GetValueOrDefault("--count", "10"));
    int retries = 0;
    for (int i = 0; i < count; i++)
    {
        while (true)
        {
            var n = await coordinator.ReadAsync(counterPath) ?? throw new InvalidOperationException($"{counterPath} is missing");
            long next = long.Parse(n.Text) + 1;
            try
            {
                await coordinator.CompareAndSetAsync(counterPath, System.Text.Encoding.UTF8.GetBytes(next.ToString()), n.Version);
                break;
            }
            catch (VersionMismatchException)
            {
                retries++;
            }
        }
    }
    Console.WriteLine($"done {count} retries={retries}");
    return 0;
}

if (opts.TryGetValue("--update", out var updatePath))
{
    if (flags.Contains("--crash-before-rename") && coordinator is FileSystemCoordinator fsc)
        fsc.BeforeDataRename = _ => { Console.Out.Flush(); kill(Environment.ProcessId, 9); Thread.Sleep(Timeout.Infinite); };
    await coordinator.UpdateAsync(updatePath, data);
    Console.WriteLine("updated");
    return 0;
}

if (!opts.TryGetValue("--ephemeral", out var path)) { Console.Error.WriteLine("need --ephemeral, --create, --update or --hold-file"); return 2; }
await using var node = await coordinator.CreateEphemeralAsync(path, data, flags.Contains("--sequential"));
Console.WriteLine($"ready {node.Path}");
WaitForStdinToClose();
return 0;

static void WaitForStdinToClose()
{
    Console.Out.Flush();
    while (Console.In.ReadLine() != null) { }
}

[DllImport("libc")]
static extern int kill(int pid, int sig);
