using System.Security.Cryptography;
using Codis.Core.Logging;
using Codis.Server.Commands;

namespace Codis.Server.Acl;

/// <summary>ACL SETUSER | GETUSER | DELUSER | USERS | LIST | WHOAMI | CAT | GENPASS | LOG | DRYRUN | SAVE | LOAD | HELP, as Redis 7.0.</summary>
internal static class AclCommand
{
    private static readonly string[] Help =
    [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ];

    private const CommandFlags Admin = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;
    private const CommandFlags Plain = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale;

    [Command("acl", -2, Group = "server", Summary = "A container for Access List Control commands")]
    [Subcommand("acl", "cat", -2, Flags = Plain, Summary = "List the ACL categories or the commands inside a category")]
    [Subcommand("acl", "deluser", -3, Flags = Admin, Summary = "Remove the specified ACL users and the associated rules")]
    [Subcommand("acl", "dryrun", -4, Flags = Admin, Summary = "Returns whether the user can execute the given command without executing the command.")]
    [Subcommand("acl", "genpass", -2, Flags = Plain, Summary = "Generate a pseudorandom secure password to use for ACL users")]
    [Subcommand("acl", "getuser", 3, Flags = Admin, Summary = "Get the rules for a specific ACL user")]
    [Subcommand("acl", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Show helpful text about the different subcommands")]
    [Subcommand("acl", "list", 2, Flags = Admin, Summary = "List the current ACL rules in ACL config file format")]
    [Subcommand("acl", "load", 2, Flags = Admin, Summary = "Reload the ACLs from the configured ACL file")]
    [Subcommand("acl", "log", -2, Flags = Admin, Summary = "List latest events denied because of ACLs in place")]
    [Subcommand("acl", "save", 2, Flags = Admin, Summary = "Save the current ACL rules in the configured ACL file")]
    [Subcommand("acl", "setuser", -3, Flags = Admin, Summary = "Modify or create the rules for a specific ACL user")]
    [Subcommand("acl", "users", 2, Flags = Admin, Summary = "List the username of all the configured ACL rules")]
    [Subcommand("acl", "whoami", 2, Flags = Plain, Summary = "Return the name of the user associated to the current connection")]
    public static void Acl(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        int n = ctx.ArgCount;
        switch (sub)
        {
            case "setuser": SetUser(ctx); break;
            case "getuser": GetUser(ctx); break;
            case "deluser": DelUser(ctx); break;
            case "users": WriteNames(ctx, ctx.Server.Acl.Users.Select(static u => u.Name).ToList()); break;
            case "list": WriteNames(ctx, ctx.Server.Acl.Describe()); break;
            case "whoami": ctx.Reply.WriteBulk(ctx.Client.User.Name); break;
            case "cat" when n <= 3: Cat(ctx); break;
            case "genpass" when n <= 3: GenPass(ctx); break;
            case "log" when n <= 3: LogCommand(ctx); break;
            case "dryrun": DryRun(ctx); break;
            case "save": Save(ctx); break;
            case "load": Load(ctx); break;
            case "help": Subcommands.WriteHelp(ctx, Help); break;
            default:
                ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{ctx.ArgString(1)}'. Try ACL HELP.");
                break;
        }
    }

    private static void WriteNames(CommandContext ctx, List<string> names)
    {
        ctx.Reply.WriteArrayHeader(names.Count);
        foreach (var name in names) ctx.Reply.WriteBulk(name);
    }

    private static void SetUser(CommandContext ctx)
    {
        var ops = new List<string>(ctx.ArgCount - 3);
        for (int i = 3; i < ctx.ArgCount; i++) ops.Add(ctx.ArgString(i));
        string name = ctx.ArgString(2);
        if (ctx.Server.Acl.SetUser(name, ops) is { } error)
        {
            ctx.Error(error);
            return;
        }
        ctx.Server.CloseSubscribersNoLongerAllowed(ctx.Server.Acl.Find(name)!, ctx.Client);
        ctx.Ok();
    }

    private static void GetUser(CommandContext ctx)
    {
        if (ctx.Server.Acl.Find(ctx.ArgString(2)) is not { } user)
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        var r = ctx.Reply;
        r.WriteMapHeader(6);
        r.WriteBulk("flags"u8);
        var flags = user.Flags();
        r.WriteSetHeader(flags.Count);
        foreach (var f in flags) r.WriteBulk(f);
        r.WriteBulk("passwords"u8);
        r.WriteArrayHeader(user.PasswordHashes.Count);
        foreach (var hash in user.PasswordHashes) r.WriteBulk(hash);
        WriteSelector(ctx, user.Root);
        r.WriteBulk("selectors"u8);
        r.WriteArrayHeader(user.Selectors.Count);
        foreach (var selector in user.Selectors)
        {
            r.WriteMapHeader(3);
            WriteSelector(ctx, selector);
        }
    }

    private static void WriteSelector(CommandContext ctx, AclSelector selector)
    {
        var r = ctx.Reply;
        r.WriteBulk("commands"u8);
        r.WriteBulk(selector.DescribeCommands());
        r.WriteBulk("keys"u8);
        r.WriteBulk(selector.DescribeKeys());
        r.WriteBulk("channels"u8);
        r.WriteBulk(selector.DescribeChannels());
    }

    private static void DelUser(CommandContext ctx)
    {
        // "default" anywhere refuses the whole command.
        for (int i = 2; i < ctx.ArgCount; i++)
            if (ctx.ArgString(i) == "default")
            {
                ctx.Error("ERR The 'default' user cannot be removed");
                return;
            }
        var removed = new List<AclUser>();
        for (int i = 2; i < ctx.ArgCount; i++)
            if (ctx.Server.Acl.Delete(ctx.ArgString(i)) is { } user) removed.Add(user);
        ctx.Server.CloseConnectionsOf(removed, ctx.Client);
        ctx.Reply.WriteInteger(removed.Count);
    }

    private static void Cat(CommandContext ctx)
    {
        if (ctx.ArgCount == 2)
        {
            WriteNames(ctx, [.. AclCategories.Names]);
            return;
        }
        string name = ctx.ArgString(2);
        ulong bit = AclCategories.Bit(name);
        if (bit == 0)
        {
            ctx.Error($"ERR Unknown category '{name}'");
            return;
        }
        var names = new List<string>();
        foreach (var command in CommandTable.ByAclId)
            if ((command.AclCategoryBits & bit) != 0) names.Add(command.Name);
        WriteNames(ctx, names);
    }

    private static void GenPass(CommandContext ctx)
    {
        long bits = 256;
        if (ctx.ArgCount == 3 && !ctx.TryArgLong(2, out bits, "ERR value is not an integer or out of range")) return;
        if (bits <= 0 || bits > 4096)
        {
            ctx.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
            return;
        }
        int chars = (int)((bits + 3) / 4);
        var random = RandomNumberGenerator.GetBytes((chars + 1) / 2);
        ctx.Reply.WriteBulk(Convert.ToHexStringLower(random)[..chars]);
    }

    private static void LogCommand(CommandContext ctx)
    {
        var log = ctx.Server.Acl.Log;
        long count = 10;
        if (ctx.ArgCount == 3)
        {
            if (ctx.ArgIs(2, "reset"))
            {
                log.Reset();
                ctx.Ok();
                return;
            }
            if (!ctx.TryArgLong(2, out count, "ERR value is not an integer or out of range")) return;
            count = Math.Max(0, count);
        }
        var entries = log.Newest(count).ToList();
        long now = Environment.TickCount64;
        var r = ctx.Reply;
        r.WriteArrayHeader(entries.Count);
        foreach (var e in entries)
        {
            r.WriteMapHeader(7);
            r.WriteBulk("count"u8); r.WriteInteger(e.Count);
            r.WriteBulk("reason"u8); r.WriteBulk(e.Reason);
            r.WriteBulk("context"u8); r.WriteBulk(e.Context);
            r.WriteBulk("object"u8); r.WriteBulk(e.Object);
            r.WriteBulk("username"u8); r.WriteBulk(e.Username);
            r.WriteBulk("age-seconds"u8); r.WriteDouble((now - e.CreatedMs) / 1000.0);
            r.WriteBulk("client-info"u8); r.WriteBulk(e.ClientInfo);
        }
    }

    private static void DryRun(CommandContext ctx)
    {
        string name = ctx.ArgString(2);
        if (ctx.Server.Acl.Find(name) is not { } user)
        {
            ctx.Error($"ERR User '{name}' not found");
            return;
        }
        const int offset = 3;
        var command = CommandTable.Find(ctx.Arg(offset));
        if (command != null && command.Subcommands.Count > 0 && ctx.ArgCount - offset >= 2) command = command.FindSubcommand(ctx.Arg(offset + 1));
        if (command == null)
        {
            ctx.Error($"ERR Command '{ctx.ArgString(offset)}' not found");
            return;
        }
        if (!command.ArityOk(ctx.ArgCount - offset))
        {
            ctx.Error($"ERR wrong number of arguments for '{command.Name}' command");
            return;
        }
        var denial = user.Check(command, ctx.Args, offset, out int position);
        if (denial == AclDenial.None) ctx.Ok();
        else ctx.Reply.WriteBulk(AclErrors.DryRun(denial, command.Name, ctx.ArgString(offset + position)));
    }

    private const string NoAclFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

    private static void Save(CommandContext ctx)
    {
        string path = ctx.Server.Settings["aclfile"].Value;
        if (path.Length == 0)
        {
            ctx.Error(NoAclFile);
            return;
        }
        try
        {
            AclFile.Write(ctx.Server.Acl, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warn("can't save the ACL file", ("file", path), ("error", e.Message));
            ctx.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
            return;
        }
        ctx.Ok();
    }

    private static void Load(CommandContext ctx)
    {
        string path = ctx.Server.Settings["aclfile"].Value;
        if (path.Length == 0)
        {
            ctx.Error(NoAclFile);
            return;
        }
        if (AclFile.Read(ctx.Server.Acl, path, out string error) is not { } users)
        {
            ctx.Error("ERR " + error);
            return;
        }
        ctx.Server.CloseConnectionsOf(ctx.Server.Acl.ReplaceAll(users), ctx.Client);
        ctx.Ok();
    }
}
