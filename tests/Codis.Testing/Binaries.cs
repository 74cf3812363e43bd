namespace Codis.Testing;

/// <summary>Where the tests find our binaries: the builds copied next to the test assembly.</summary>
public static class Binaries
{
    public static string Dll(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{name}.dll is not next to the tests; reference its project", path);
        return path;
    }
}

/// <summary>The dll names of our control-plane binaries.</summary>
public static class BinaryNames
{
    public const string Dashboard = "codis-dashboard";
    public const string Admin = "codis-admin";
    public const string Config = "codis-config";
    public const string Proxy = "codis-proxy";
}
