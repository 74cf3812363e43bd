using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Acl;
using Codis.Server.Commands;
using Codis.Server.Networking;

namespace Codis.Server;

/// <summary>The server's side of the ACL: the users, the check before a command, denials logged and counted, closing a removed user's connections.</summary>
internal sealed partial class CodisServer
{
    /// <summary>The users (ACL SETUSER, `user` settings, aclfile) and the ACL LOG.</summary>
    public AclRegistry Acl { get; }

    /// <summary>
    /// Whether a client's user may run a command (the subcommand when there is one) with these words; a denial is
    /// logged (ACL LOG) and counted (INFO stats). Only called for users not allowed everything.
    /// </summary>
    internal AclDenial? AclRefusal(ClientSession client, CommandSpec command, RespRequest request, AclLogContext context)
    {
        var denial = client.User.Check(command, request, 0, out int position);
        if (denial == AclDenial.None) return null;
        // CLIENT LIST's cmd= names a refused command too, as Redis sets it at lookup (a script's caller stays at EVAL).
        if (context != AclLogContext.Lua) client.LastCommand = command.Name;
        string obj = denial == AclDenial.Command ? command.Name : request.ToUtf8String(position);
        Acl.Log.Add(denial, AclErrors.Name(context), obj, client.User.Name, ClientCommand.Describe(this, client), Acl.LogMaxLength);
        if (denial == AclDenial.Command) Stats.AclDeniedCommand++;
        else if (denial == AclDenial.Key) Stats.AclDeniedKey++;
        else Stats.AclDeniedChannel++;
        return denial;
    }

    /// <summary>A refused AUTH or HELLO AUTH: logged with the name it tried and counted (acl_access_denied_auth).</summary>
    internal void AclAuthFailed(ClientSession client, string command, string username)
    {
        Acl.Log.Add(AclDenial.Auth, AclErrors.Name(client.Multi != null ? AclLogContext.Multi : AclLogContext.TopLevel), command, username,
            ClientCommand.Describe(this, client), Acl.LogMaxLength);
        Stats.AclDeniedAuth++;
    }

    /// <summary>Closes the connections of removed users; the one running the command closes after its reply.</summary>
    internal void CloseConnectionsOf(IReadOnlyCollection<AclUser> removed, ClientSession current)
    {
        if (removed.Count == 0) return;
        foreach (var c in clients.Values)
        {
            var session = c.Session;
            if (!removed.Contains(session.User)) continue;
            if (session == current) session.CloseAfterReply = true;
            else session.Kill();
        }
    }

    /// <summary>
    /// After a user's rules changed: its subscribers to a channel or pattern it may no longer use are disconnected,
    /// as Redis 7.0 does.
    /// </summary>
    internal void CloseSubscribersNoLongerAllowed(AclUser user, ClientSession current)
    {
        foreach (var c in clients.Values)
        {
            var session = c.Session;
            if (session.User != user || session.Subscriber is not { Any: true } subscriber) continue;
            bool allowed = subscriber.Channels.All(ch => user.AllowsChannel(ch, false))
                && subscriber.ShardChannels.All(ch => user.AllowsChannel(ch, false))
                && subscriber.Patterns.All(p => user.AllowsChannel(p, true));
            if (allowed) continue;
            if (session == current) session.CloseAfterReply = true;
            else session.Kill();
        }
    }

    /// <summary>
    /// Start-up: the `user` settings, or the ACL file (not both, as Redis refuses). A bad rule or file stops the start
    /// with Redis's reason.
    /// </summary>
    private void LoadUsers()
    {
        string path = Settings["aclfile"].Value;
        var lines = Settings["user"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (path.Length > 0 && lines.Length > 0)
            throw new InvalidDataException("users are defined both in the config (user) and in an ACL file (aclfile): define either, not both");
        if (lines.Length > 0)
        {
            var users = new Dictionary<string, AclUser>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string name = words[0];
                if (users.ContainsKey(name)) throw new InvalidDataException($"Duplicate user '{name}' in the user settings");
                var user = Acl.NewUser(name);
                if (name == "default") user.Apply("reset", Acl.ChannelsByDefault); // as Redis resets the default user for its directive
                if (AclRegistry.MergeSelectors(words[1..], out string unclosed) is not { } ops)
                    throw new InvalidDataException($"Error loading ACL user '{name}': Unmatched parenthesis in acl selector starting at '{unclosed}'");
                if (Acl.ApplyAll(user, ops) is var (op, error))
                    throw new InvalidDataException($"Error loading ACL user '{name}': Error in applying operation '{op}': {AclErrors.Text(error)}");
                users[name] = user;
            }
            // Users from settings join the start-up default user unless one of them is "default".
            if (!users.ContainsKey("default")) users["default"] = Acl.Default.Clone();
            Acl.ReplaceAll(users);
        }
        if (path.Length > 0)
        {
            if (AclFile.Read(Acl, path, out string error) is not { } users)
                throw new InvalidDataException("Aborting startup because of ACL errors: " + error);
            Acl.ReplaceAll(users);
            Log.Info("ACL users loaded", ("file", path), ("users", Acl.Users.Count()));
        }
    }

    /// <summary>CONFIG REWRITE without an ACL file: the users go to the config file's `user` setting, as Redis writes them to redis.conf.</summary>
    internal void UsersIntoSettings()
    {
        if (Settings["aclfile"].Value.Length > 0) return;
        // The default user as requirepass leaves it needs no line: a plain server's config gets none.
        var startup = AclRegistry.StartupDefault(Settings["requirepass"].Value).Describe();
        var lines = Acl.Users.Where(u => u != Acl.Default || u.Describe() != startup).Select(static u => u.Name + " " + u.Describe());
        Settings.TrySet("user", string.Join("\n", lines));
    }
}
