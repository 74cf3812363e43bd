namespace Codis.Server.Acl;

/// <summary>Redis 7.0's texts for refused rules and refused commands.</summary>
internal static class AclErrors
{
    public static string Name(AclLogContext context) => context switch
    {
        AclLogContext.Multi => "multi",
        AclLogContext.Lua => "lua",
        _ => "toplevel",
    };

    /// <summary>EXEC's reply for a queued command the user may no longer run (Redis 7.0's execCommand).</summary>
    public static string ChangedSinceQueued(AclDenial denial) =>
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + denial switch
        {
            AclDenial.Command => "no permission to execute the command or subcommand",
            AclDenial.Key => "no permission to touch the specified keys",
            AclDenial.Channel => "no permission to access one of the channels used as arguments",
            _ => "no permission",
        };

    public static string Text(AclRuleError error) => error switch
    {
        AclRuleError.UnknownCommandOrCategory => "Unknown command or category name in ACL",
        AclRuleError.Syntax => "Syntax error",
        AclRuleError.KeyPatternAfterAllKeys => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        AclRuleError.ChannelPatternAfterAllChannels => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
        AclRuleError.NoSuchPassword => "The password you are trying to remove from the user does not exist",
        AclRuleError.BadPasswordHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        AclRuleError.DuplicateUser => "Duplicate user found. A user can only be defined once in config files",
        AclRuleError.FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        _ => "Wrong format",
    };

    /// <summary>The NOPERM reply of a refused command (Redis 7.0's processCommand wording).</summary>
    public static string NoPerm(AclDenial denial, string commandName) => denial switch
    {
        AclDenial.Command => $"NOPERM this user has no permissions to run the '{commandName}' command",
        AclDenial.Key => "NOPERM this user has no permissions to access one of the keys used as arguments",
        _ => "NOPERM this user has no permissions to access one of the channels used as arguments",
    };

    /// <summary>redis.call's error for a refused command (Redis 7.0's scriptVerifyACL wording).</summary>
    public static string FromScript(AclDenial denial) => denial switch
    {
        AclDenial.Command => "The user executing the script can't run this command or subcommand",
        AclDenial.Key => "The user executing the script can't access at least one of the keys mentioned in the command arguments",
        _ => "The user executing the script can't publish to the channel mentioned in the command",
    };

    /// <summary>ACL DRYRUN's answer for a refused command.</summary>
    public static string DryRun(AclDenial denial, string commandName, string argument) => denial switch
    {
        AclDenial.Command => $"This user has no permissions to run the '{commandName}' command",
        AclDenial.Key => $"This user has no permissions to access the '{argument}' key",
        _ => $"This user has no permissions to access the '{argument}' channel",
    };
}
