namespace Codis.Server.Acl;

/// <summary>Why an ACL rule was refused; <see cref="AclErrors.Text"/> gives Redis 7.0's words for each.</summary>
internal enum AclRuleError
{
    None,
    UnknownCommandOrCategory,
    Syntax,
    KeyPatternAfterAllKeys,
    ChannelPatternAfterAllChannels,
    NoSuchPassword,
    BadPasswordHash,
    DuplicateUser,
    FirstArgOfSubcommand,
}

/// <summary>What a permission check found: allowed, or which kind of argument was refused (Redis's ACL_DENIED_*, in its order).</summary>
internal enum AclDenial { None, Command, Key, Auth, Channel }

/// <summary>Where a denial happened, as ACL LOG's "context" names it.</summary>
internal enum AclLogContext { TopLevel, Multi, Lua }
