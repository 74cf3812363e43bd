using Codis.Core.Resp;
using Codis.Server.Commands;

namespace Codis.Server.Acl;

/// <summary>Which arguments of a pub/sub command are channels an ACL checks.</summary>
internal enum AclChannelArgs : byte { None, First, All, AllPatterns }

/// <summary>
/// The keys and channels of a request, checked against a selector's patterns. Keys at fixed positions are walked
/// in place (no list); only commands whose keys an argument or keyword tells (movablekeys) build their positions.
/// </summary>
internal static class AclArguments
{
    /// <summary>The channel arguments of a command: PUBLISH's first, SUBSCRIBE's all, PSUBSCRIBE's all as patterns.</summary>
    public static AclChannelArgs ChannelArgsOf(CommandSpec command) => command.Name switch
    {
        "publish" or "spublish" => AclChannelArgs.First,
        "subscribe" or "ssubscribe" => AclChannelArgs.All,
        "psubscribe" => AclChannelArgs.AllPatterns,
        _ => AclChannelArgs.None,
    };

    /// <summary>What each key of a command is used for, from its key specs: access reads, insert/update/delete write.</summary>
    public static AclKeyAccess[] KeyAccessOf(CommandSpec command)
    {
        int n = Math.Max(command.KeyFlagsByKey.Length, 1);
        var access = new AclKeyAccess[n + 1];
        for (int i = 0; i <= n; i++) access[i] = AccessOf(CommandCommand.KeySpecFlagsOf(command, i));
        return access;
    }

    public static AclDenial CheckKeys(AclSelector selector, CommandSpec command, RespRequest request, int offset, out int position)
    {
        position = 0;
        if (command.Has(CommandFlags.PubSub) || (command.FirstKey <= 0 && !command.MovableKeys)) return AclDenial.None;
        var access = command.AclKeyAccess;
        int argCount = request.Count - offset;
        if (command.MovableKeys)
        {
            var positions = command.KeyPositions(request, offset);
            if (positions == null) return AclDenial.None;
            for (int nth = 0; nth < positions.Count; nth++)
            {
                var need = access[Math.Min(nth, access.Length - 1)];
                if (!selector.AllowsKey(request[offset + positions[nth]], need))
                {
                    position = positions[nth];
                    return AclDenial.Key;
                }
            }
            return AclDenial.None;
        }
        int last = command.LastKey < 0 ? argCount + command.LastKey : command.LastKey;
        int step = Math.Max(1, command.Step);
        for (int at = command.FirstKey, nth = 0; at <= last && at < argCount; at += step, nth++)
        {
            var need = access[Math.Min(nth, access.Length - 1)];
            // SET writes only unless GET reads the old value too, BITFIELD with only GETs only reads (Redis's
            // setGetKeys, bitfieldGetKeys): the key spec says "variable_flags", the request tells.
            if (command.HasVariableKeyFlags && CommandCommand.VariableKeyFlags(command, request, offset) is { } flags) need = AccessOf(flags);
            if (!selector.AllowsKey(request[offset + at], need))
            {
                position = at;
                return AclDenial.Key;
            }
        }
        return AclDenial.None;
    }

    private static AclKeyAccess AccessOf(string[] flags)
    {
        var access = AclKeyAccess.None;
        foreach (var flag in flags)
        {
            if (flag == "access") access |= AclKeyAccess.Read;
            else if (flag is "insert" or "update" or "delete") access |= AclKeyAccess.Write;
        }
        return access;
    }

    public static AclDenial CheckChannels(AclSelector selector, CommandSpec command, RespRequest request, int offset, out int position)
    {
        position = 0;
        var kind = command.AclChannels;
        if (kind == AclChannelArgs.None) return AclDenial.None;
        int end = kind == AclChannelArgs.First ? Math.Min(offset + 2, request.Count) : request.Count;
        for (int i = offset + 1; i < end; i++)
        {
            if (!selector.AllowsChannel(request[i], kind == AclChannelArgs.AllPatterns))
            {
                position = i - offset;
                return AclDenial.Channel;
            }
        }
        return AclDenial.None;
    }
}
