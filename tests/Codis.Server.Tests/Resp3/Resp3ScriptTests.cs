using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Resp3;

/// <summary>
/// Lua and RESP3 against Debian's redis-server 7.0, frame for frame, on RESP3 and RESP2 connections:
/// redis.setresp(3), RESP3 replies as Lua values ({map=}, {set=}, {double=}, booleans, nil, {big_number=},
/// {verbatim_string=}) and Lua values as the caller's replies.
/// </summary>
public class Resp3ScriptTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Theory, InlineData(3), InlineData(2)]
    public void Scripts_SameFramesAsRedis(int protocol) => peers.AssertSameFrames($$$"""
        flushall
        set k v
        hset h a 2.5
        sadd s4 a
        zadd z 7 b
        zadd zf 0.1 x
        eval "return redis.call('smembers','s4')" 0
        eval "return redis.call('zrange','z',0,-1,'withscores')" 0
        eval "return redis.call('hgetall','h')" 0
        eval "return redis.call('zscore','z','b')" 0
        eval "return redis.call('config','get','maxmemory')" 0
        eval "redis.setresp(3); return redis.call('hgetall','h')" 0
        eval "redis.setresp(3); return redis.call('smembers','s4')" 0
        eval "redis.setresp(3); return redis.call('zscore','z','b')" 0
        eval "redis.setresp(3); return redis.call('get','nokey')" 0
        eval "redis.setresp(3); return redis.call('get','k')" 0
        eval "redis.setresp(3); local t = redis.call('hgetall','h'); return t['map']['a']" 0
        eval "redis.setresp(3); local t = redis.call('smembers','s4'); return type(t['set'])" 0
        eval "redis.setresp(3); local t = redis.call('zscore','z','b'); return tostring(t['double'])" 0
        eval "redis.setresp(3); return redis.call('debug','protocol','true')" 0
        eval "redis.setresp(3); return {map={a=1}}" 0
        eval "return {map={a=1}}" 0
        eval "return {set={a=true}}" 0
        eval "return {double=3.5}" 0
        eval "redis.setresp(3); return {double=3.5}" 0
        eval "return {big_number='123'}" 0
        eval "redis.setresp(4)" 0
        eval "redis.setresp(2); return redis.call('hgetall','h')" 0
        eval "return redis.call('blpop','nol',1)" 0
        eval "redis.setresp(3); return redis.call('blpop','nol',1)" 0
        eval "redis.setresp(3); return redis.call('zrange','z',0,-1,'withscores')" 0
        eval "redis.setresp(3); return redis.call('debug','protocol','bignum')" 0
        eval "redis.setresp(3); return redis.call('debug','protocol','verbatim')" 0
        eval "redis.setresp(3); return redis.call('debug','protocol','false')" 0
        eval "redis.setresp(3); return redis.call('debug','protocol','null')" 0
        eval "redis.setresp(3); return redis.call('debug','protocol','double')" 0
        eval "redis.setresp(3); local r = redis.call('debug','protocol','bignum'); return type(r)" 0
        eval "redis.setresp(3); local r = redis.call('debug','protocol','verbatim'); return r['format']" 0
        eval "return true" 0
        eval "return false" 0
        eval "return nil" 0
        eval "return {1,nil,3}" 0
        eval "return redis.pcall('nope')" 0
        eval "redis.setresp(3); return redis.call('zmscore','z','b','nope')" 0
        eval "redis.setresp(3); local t = redis.call('zmscore','z','b','nope'); return #t" 0
        eval "redis.setresp(3); return redis.call('exists','k') == 1" 0
        eval "redis.setresp(3); return redis.call('hrandfield','h',1,'withvalues')" 0
        eval "redis.setresp(3); return redis.call('config','get','maxmemory')" 0
        eval "redis.setresp(3); return {verbatim_string={format='txt',string='hi'}}" 0
        eval "return {verbatim_string={format='txt',string='hi'}}" 0
        eval "redis.setresp(3); return redis.call('xread','streams','nox','0')" 0
        eval "redis.setresp(3); return redis.call('lpop','nol')" 0
        eval "redis.setresp(3); return redis.pcall('incr','h')" 0
        eval "redis.setresp(3); return true" 0
        eval "redis.setresp(3); return false" 0
        eval "redis.setresp(3); return {1,true,false,{double=0.5}}" 0
        eval "redis.setresp(2); return false" 0
        eval "redis.setresp('x')" 0
        eval "redis.setresp()" 0
        eval "redis.setresp(3); return redis.call('zrange','zf',0,-1,'withscores')" 0
        eval "redis.setresp(3); local t = redis.call('zscore','zf','x'); return tostring(t['double'])" 0
        eval "redis.setresp(3); local t = redis.call('debug','protocol','map'); return 1" 0
        eval "redis.setresp(3); local t = redis.call('smembers','s4'); return t['set']['a']" 0
        eval "redis.setresp(3); local t = redis.call('get','nokey'); return t == nil" 0
        eval "local t = redis.call('get','nokey'); return t == false" 0
        function flush
        function load hex:{{{Convert.ToHexString("#!lua name=r3\nredis.register_function('r3', function() redis.setresp(3) return redis.call('hgetall', 'h') end)\nredis.register_function('r3b', function() redis.setresp(3) return true end)"u8)}}}
        fcall r3 0
        fcall r3b 0
        eval "return true" 0
        function flush
        """, protocol);
}
