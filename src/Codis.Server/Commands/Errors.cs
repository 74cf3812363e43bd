namespace Codis.Server.Commands;

/// <summary>Redis 7.0's error texts, so clients and tests see exactly what Redis says.</summary>
internal static class Errors
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string Syntax = "ERR syntax error";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string NoSuchKey = "ERR no such key";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string NoAuth = "NOAUTH Authentication required.";
    public const string InvalidExpire = "ERR invalid expire time in '{0}' command";
    public const string StringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    public const string BitOffset = "ERR bit offset is not an integer or out of range";
    public const string BitValue = "ERR bit is not an integer or out of range";
    public const string SameObject = "ERR source and destination objects are the same";
    public const string ReadOnlyReplica = "READONLY You can't write against a read only replica.";

    public static string WrongArity(string name) => $"ERR wrong number of arguments for '{name}' command";

    public static string UnknownSubcommand(string sub, string command) =>
        $"ERR unknown subcommand '{Truncate(sub)}'. Try {command.ToUpperInvariant()} HELP.";

    private static string Truncate(string s) => s.Length > 128 ? s[..128] : s;
}
