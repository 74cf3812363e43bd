using Codis.Coordinator;

// A child process for the coordinator tests: opens a coordinator, creates one ephemeral node (or races one
// Create), prints a line the test waits for, then waits until its stdin closes (the test ends or dies) or it
// is killed. "Owner process dies" tests kill it with -9.
//   Codis.Coordinator.TestOwner --name etcd --addr 127.0.0.1:2379 [--auth u:p] [--session-ms 2000]
//       --ephemeral /path [--sequential] [--data text]
//   Codis.Coordinator.TestOwner --name filesystem --addr /root --create /path --data text   (prints "won" or "lost")
var opts = new Dictionary<string, string>();
var flags = new HashSet<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--sequential") flags.Add(args[i]);
    else if (args[i].StartsWith("--") && i + 1 < args.Length) opts[args[i]] = args[++i];
    else { Console.Error.WriteLine($"unexpected argument '{args[i]}'"); return 2; }
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
    // Start line so racing processes begin together: wait for a go file if asked.
    if (opts.TryGetValue("--go-file", out var go))
        while (!File.Exists(go)) await Task.Delay(1);
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

if (!opts.TryGetValue("--ephemeral", out var path)) { Console.Error.WriteLine("need --ephemeral PATH or --create PATH"); return 2; }
await using var node = await coordinator.CreateEphemeralAsync(path, data, flags.Contains("--sequential"));
Console.WriteLine($"ready {node.Path}");
Console.Out.Flush();
// Until the test closes our stdin (or kills us).
await Task.Run(() => { while (Console.In.ReadLine() != null) { } });
return 0;
