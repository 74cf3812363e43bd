namespace Codis.Server.Commands;

/// <summary>
/// Declares one subcommand of a container command (on the same handler as its <see cref="CommandAttribute"/>),
/// so that COMMAND INFO / DOCS / LIST show "config|get" with its own arity and flags, as Redis 7 does.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class SubcommandAttribute(string container, string name, int arity) : Attribute
{
    public string Container { get; } = container;
    public string Name { get; } = name;
    public int Arity { get; } = arity;
    public CommandFlags Flags { get; init; }
    public int FirstKey { get; init; }
    public int LastKey { get; init; }
    public int Step { get; init; }
    public string Summary { get; init; } = "";

    /// <summary>See <see cref="CommandAttribute.KeyFlags"/>.</summary>
    public string KeyFlags { get; init; } = "";

    /// <summary>See <see cref="CommandAttribute.AclCategories"/>.</summary>
    public string AclCategories { get; init; } = "";

    /// <summary>See <see cref="CommandAttribute.Tips"/>.</summary>
    public string Tips { get; init; } = "";
}
