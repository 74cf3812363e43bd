using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Scripting;

/// <summary>EVAL and friends against Debian's redis-server 7.0: replies, conversions and error texts must match.</summary>
public class ScriptOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void Lua_to_resp_conversions_match_redis() => peers.AssertSame("""
        eval "return 1" 0
        eval "return 1.9" 0
        eval "return -1.9" 0
        eval "return 1e20" 0
        eval "return 0/0" 0
        eval "return 'x'" 0
        eval "return {1,2,nil,3}" 0
        eval "return {ok='fine'}" 0
        eval "return {err='bad thing'}" 0
        eval "return {err='MYERR bad'}" 0
        eval "return {err=12}" 0
        eval "return {1, 2, ok='b'}" 0
        eval "return false" 0
        eval "return true" 0
        eval "return nil" 0
        eval "return {1,{2,'a'},true,false,nil}" 0
        eval "return {double=3.5}" 0
        eval "return {double=3}" 0
        eval "return {map={a=1}}" 0
        eval "return {set={a=true}}" 0
        eval "return {big_number='123'}" 0
        eval "return function() end" 0
        eval "return {function() end, 2}" 0
        eval "return tostring(3.5)" 0
        eval "return tostring(10/2)" 0
        eval "return tostring(1e15)" 0
        eval "return tostring(0.1)" 0
        eval "return tostring(2^53)" 0
        eval "return '10' + 1" 0
        """);

    [Fact]
    public void Resp_to_lua_conversions_match_redis() => peers.AssertSame("""
        del k str list h
        eval "return redis.call('get','k')" 0
        eval "return type(redis.call('get','k'))" 0
        eval "return redis.call('ping')" 0
        eval "return type(redis.call('ping'))" 0
        eval "return redis.call('ping')['ok']" 0
        eval "return redis.call('set','k','v')['ok']" 0
        eval "return redis.call('incr','n')" 0
        eval "return type(redis.call('incr','n'))" 0
        eval "return redis.call('rpush','list','a','b','c')" 0
        eval "return redis.call('lrange','list',0,-1)" 0
        eval "return #redis.call('lrange','list',0,-1)" 0
        eval "return redis.call('hgetall','h')" 0
        eval "return redis.call('set','f',3.0)" 0
        eval "return redis.call('get','f')" 0
        eval "redis.call('set','f',0.1) return redis.call('get','f')" 0
        eval "redis.call('set','f',1e20) return redis.call('get','f')" 0
        eval "redis.call('set','f',-1/0) return redis.call('get','f')" 0
        eval "return redis.call('get', KEYS[1])" 1 k
        eval "return {KEYS[1],ARGV[1],#KEYS,#ARGV}" 1 a b c
        eval "return redis.pcall('lpush','k','v')" 0
        eval "local r = redis.pcall('lpush','k','v') return {type(r), r.err}" 0
        eval "local ok, e = pcall(redis.call, 'nosuch') return e" 0
        eval "local ok, e = pcall(function() return redis.call('lpush','k','v') end) return e" 0
        eval "local ok, e = pcall(function() error({err='Q'}) end) return e" 0
        eval "return redis.pcall('nosuch')['err']" 0
        eval "redis.call('select', 1) redis.call('set', 'db1key', 'x') return redis.call('get','db1key')" 0
        get db1key
        """);

    [Fact]
    public void Commands_and_their_errors_match_redis() => peers.AssertSame("""
        script flush
        eval "return 1" -1
        eval "return 1" 2 a
        eval "return 1" x
        eval "return 1"
        evalsha ffffffffffffffffffffffffffffffffffffffff 0
        evalsha abc 0
        evalsha ffffffffffffffffffffffffffffffffffffffff x
        script load "return 1"
        script exists e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffffffffffffffffffffffffffffffffffffffff
        evalsha e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
        evalsha E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
        evalsha_ro e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
        script flush async
        script exists e0e1f9fabfc9d4800c877a703b823ac0578ff8db
        script flush sync
        script flush foo
        script flush a b
        script load
        script exists
        script kill
        script kill x
        script
        script foo
        eval_ro "return redis.call('set','a','b')" 0
        eval_ro "return redis.call('get','a')" 0
        eval "return redis.call('incr','x','y')" 0
        eval "return redis.pcall('incr','x','y')" 0
        eval "return redis.call('nosuch')" 0
        eval "return redis.pcall('nosuch')" 0
        eval "return redis.call('set','k','v','ex')" 0
        eval "return redis.pcall('set','k','v','ex')" 0
        eval "return redis.call()" 0
        eval "return redis.pcall()" 0
        eval "return redis.call(1)" 0
        eval "return redis.call('set','k',true)" 0
        eval "return redis.call('set','k',{})" 0
        set str v
        eval "return redis.call('lpush','str','v')" 0
        eval "return redis.pcall('lpush','str','v')" 0
        eval "return redis.call('select', 99)" 0
        eval "return redis.call('blpop', 'nolist', 0)" 0
        eval "return redis.call('eval', 'return 1', 0)" 0
        eval "return redis.call('script', 'load', 'return 1')" 0
        eval "return redis.call('client', 'list')" 0
        eval "return redis.call('shutdown')" 0
        eval "return redis.call('auth', 'x')" 0
        eval "return redis.call('config', 'get', 'port')" 0
        eval "return redis.error_reply('My Error')" 0
        eval "return redis.error_reply('-My Error')" 0
        eval "return redis.error_reply(12)" 0
        eval "return redis.status_reply('Fine')" 0
        eval "return redis.status_reply()" 0
        eval "return redis.sha1hex('')" 0
        eval "return redis.sha1hex('abc')" 0
        eval "return redis.sha1hex()" 0
        eval "error('boom')" 0
        eval "error('MYCODE foo', 0)" 0
        eval "error({err='BOOM x'})" 0
        eval "error({err='ERR x'})" 0
        eval "return " 0
        eval "return string.rep()" 0
        eval "return 1 + {}" 0
        eval "return table.concat({1,{}})" 0
        # multi-line scripts (hex: the words hold newlines): error lines, nested functions, tail calls, comments
        eval hex:0a72657475726e2072656469732e63616c6c28276c70757368272c27737472272c27762729 0
        eval hex:6c6f63616c2066756e6374696f6e206628290a2072657475726e2072656469732e63616c6c28276c70757368272c27737472272c277627290a20656e640a0a72657475726e20662829 0
        eval hex:0a0a6572726f722827626f6f6d2729 0
        eval hex:6c6f63616c2066756e6374696f6e206628290a206572726f72282764656570272c2032290a20656e640a0a72657475726e20662829 0
        eval hex:2d2d5b5b2072657475726e2072656469732e63616c6c2827782729205d5d0a6c6f63616c2073203d202772657475726e2072656469732e63616c6c285c27795c2729270a72657475726e2072656469732e63616c6c28276c70757368272c27737472272c207329 0
        eval "return redis.setresp(2)" 0
        eval "return redis.setresp(4)" 0
        eval "return redis.setresp()" 0
        eval "return redis.log(redis.LOG_WARNING, 'hello', 'world')" 0
        eval "return redis.log(redis.LOG_WARNING)" 0
        eval "return redis.log(9, 'x')" 0
        eval "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
        """);

    [Fact]
    public void Sandbox_matches_redis() => peers.AssertSame("""
        eval "x = 1" 0
        eval "return y" 0
        eval "local function f() zz = 1 end f()" 0
        eval "redis.call = nil" 0
        eval "string.foo = 1" 0
        eval "rawset(_G, 'zz', 1) return zz" 0
        eval "setmetatable(_G, nil)" 0
        eval "return _G.nothere" 0
        eval "return rawget(_G, 'nothere')" 0
        eval "KEYS[1] = 'x' return KEYS[1]" 0
        eval "local t = {} t.x = 1 return t.x" 0
        eval "return type(os)" 0
        eval "return type(io)" 0
        eval "return type(debug)" 0
        eval "return type(require)" 0
        eval "return type(loadfile)" 0
        eval "return type(dofile)" 0
        eval "return type(print)" 0
        eval "return type(setfenv)" 0
        eval "return type(loadstring)" 0
        eval "return loadstring('return 1')()" 0
        eval "return type(unpack)" 0
        eval "return unpack({1,2,3})" 0
        eval "return table.getn({1,2})" 0
        eval "return math.pow(2,10)" 0
        eval "return math.mod(7,3)" 0
        eval "return type(gcinfo())" 0
        eval "return type(cjson)" 0
        eval "return type(bit)" 0
        eval "return type(struct)" 0
        eval "return type(cmsgpack)" 0
        eval "math.randomseed(0) return tostring(math.random())" 0
        eval "math.randomseed(7) return {math.random(1000), math.random(1000), math.random(10,20)}" 0
        """);

    [Fact]
    public void Bundled_libraries_match_redis() => peers.AssertSame("""
        eval "return {bit.band(0xff, 0x0f), bit.bor(1,2,4), bit.bxor(5,1), bit.bnot(0), bit.lshift(1,31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tohex(255), bit.tohex(-1, -4), bit.tobit(4294967297), bit.rol(1, 33), bit.bswap(1)}" 0
        eval "return cjson.encode({1,2,3})" 0
        eval "return cjson.encode({a='x'})" 0
        eval "return cjson.encode({})" 0
        eval "return cjson.encode(3.5)" 0
        eval "return cjson.encode(1/3)" 0
        eval "return cjson.encode(1e100)" 0
        eval "return cjson.encode(cjson.null)" 0
        eval "return cjson.encode({1,nil,3})" 0
        eval "return cjson.encode({[1]=1,[10]=2})" 0
        eval "return cjson.encode({[1]=1,[100]=2})" 0
        eval "return cjson.encode(function() end)" 0
        eval "return cjson.encode(true)" 0
        eval "return cjson.encode(0/0)" 0
        eval "return cjson.encode({[1.5]=1})" 0
        eval "return cjson.encode({a={b={c={1,2}}}})" 0
        eval "return cjson.decode('[1,2')" 0
        eval "return cjson.decode('')" 0
        eval "return cjson.decode('[1,2,3]')" 0
        eval "return cjson.decode('[true,false,null,1.5,-2]')" 0
        eval "local t = cjson.decode(ARGV[1]) return {t.a[1], t.a[3], type(t.b), tostring(t.b == cjson.null), t.c.d}" 0 hex:7b2261223a5b312c322e352c2278225d2c2262223a6e756c6c2c2263223a7b2264223a22e282ac227d7d
        eval "return cjson.encode(cjson.decode(ARGV[1]))" 0 hex:5b312c7b2261223a5b5d7d2c22785c6e5c75303030315c2f225d
        """);

    /// <summary>Redis 7's "#!lua flags=..." first line (hex: the scripts hold newlines).</summary>
    [Fact]
    public void Shebang_matches_redis() => peers.AssertSame("""
        eval hex:23216c756120666c6167733d6e6f2d7772697465730a72657475726e2072656469732e63616c6c2827736574272c2761272c27622729 0
        eval hex:23216c75610a72657475726e2031 0
        eval hex:23216c756120666c6167733d6261640a72657475726e2031 0
        eval hex:2321707974686f6e0a72657475726e2031 0
        eval hex:23216c7561206e616d653d780a72657475726e2031 0
        eval hex:23216c756120666c6167733d6e6f2d7772697465732c616c6c6f772d6f6f6d0a72657475726e2072656469732e63616c6c2827676574272c27612729 0
        eval hex:23216c75610a6572726f722827782729 0
        script load hex:23216c756120666c6167733d6261640a72657475726e2031
        script load hex:23216c756120666c6167733d6e6f2d7772697465730a72657475726e2031
        script load hex:6c6f63616c2078203d203d2031
        eval hex:23216c75610a6c6f63616c2078203d203d2031 0
        eval hex:23216c75610d0a72657475726e2031 0
        eval hex:23216c756120666c6167733d6e6f2d777269746573200a72657475726e2031 0
        eval hex:23216c75612020666c6167733d6e6f2d7772697465730a72657475726e2031 0
        eval hex:23210a72657475726e2031 0
        eval hex:23216c756120666c6167733d0a72657475726e2031 0
        """);
}
