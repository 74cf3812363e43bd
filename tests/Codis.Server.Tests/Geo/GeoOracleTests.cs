using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Geo;

/// <summary>
/// The GEO commands against Debian's redis-server 7.0: the same lines on both, replies compared byte for byte
/// (distance and coordinate texts, geohash strings, integer hashes, every error and its wording).
/// </summary>
public class GeoOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private const string Sicily = """
        flushdb
        geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 13.583333 37.316667 Agrigento 12.758489 38.788135 edge1 17.241510 38.788135 edge2
        """;

    [Fact]
    public void GeoAdd_options_scores_and_errors() => peers.AssertSame("""
        flushdb
        geoadd g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        zrange g 0 -1 withscores
        type g
        object encoding g
        geoadd g 13.361389 38.115556 Palermo
        geoadd g ch 13.361389 38.115556 Palermo 1 1 Palermo
        geoadd g nx 2 2 Palermo 3 3 new1
        geoadd g xx ch 4 4 Palermo 5 5 new2
        geoadd g NX CH 6 6 new3 7 7 new3
        geoadd g Xx cH 8 8 new3
        zrange g 0 -1 withscores
        geoadd nokey xx 1 1 a
        exists nokey
        geoadd g nx xx 1 1 a
        geoadd g xx nx ch 1 1 a
        geoadd g 1 1
        geoadd g 1 1 a 2
        geoadd g 1 1 a 2 2
        geoadd g nx ch ch
        geoadd g ch ch ch ch
        geoadd g gt 1 1 a
        geoadd g incr 1 1 a
        geoadd g
        geoadd g 1
        geoadd g 1 1
        geoadd g abc 1 a
        geoadd g 1 abc a
        geoadd g 1 nan a
        geoadd g 0x10 1 a
        geoadd g " 1" 1 a
        geoadd g 180.000001 0 a
        geoadd g -180.000001 0 a
        geoadd g 0 85.05112879 a
        geoadd g 0 -85.05112879 a
        geoadd g 200 100 a
        geoadd g -1e300 1 a
        geoadd g inf 0 a
        geoadd g -inf -inf a
        geoadd g 1e-300 90 a
        geoadd g 1 1 ok 200 0 bad
        exists ok
        geoadd g 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw 0 0 origin 1e-10 -1e-10 tiny
        zrange g 0 -1 withscores
        geoadd g 1 1 hex:00ff00 2 2 "with space" 3 3 ""
        geopos g hex:00ff00 "with space" ""
        set str x
        geoadd str 1 1 a
        geoadd str 1 100 a
        hset h f v
        geoadd h nx 1 1 a
        """);

    [Fact]
    public void GeoAdd_crosses_to_skiplist_encoding() => peers.AssertSame("""
        flushdb
        geoadd big 1 1 m1 2 2 m2 3 3 m3 4 4 m4 5 5 m5 6 6 m6 7 7 m7 8 8 m8 9 9 m9 10 10 m10 11 11 m11 12 12 m12 13 13 m13 14 14 m14 15 15 m15 16 16 m16
        object encoding big
        config set zset-max-listpack-entries 4
        geoadd small 1 1 a 2 2 b 3 3 c
        object encoding small
        geoadd small 4 4 d 5 5 e
        object encoding small
        config set zset-max-listpack-entries 128
        config set zset-max-listpack-value 5
        geoadd long 1 1 abcdefgh
        object encoding long
        config set zset-max-listpack-value 64
        georadius big 8 8 500 km STORE dst
        object encoding dst
        """);

    [Fact]
    public void GeoDist_units_and_missing_members() => peers.AssertSame(Sicily + """

        geodist Sicily Palermo Catania
        geodist Sicily Palermo Catania m
        geodist Sicily Palermo Catania km
        geodist Sicily Palermo Catania KM
        geodist Sicily Palermo Catania mi
        geodist Sicily Palermo Catania ft
        geodist Sicily Catania Palermo Mi
        geodist Sicily Palermo Palermo
        geodist Sicily edge1 edge2 km
        geodist Sicily Palermo Catania yd
        geodist Sicily Palermo Catania ""
        geodist Sicily Palermo Catania km extra
        geodist Sicily Palermo
        geodist Sicily Palermo nosuch
        geodist Sicily nosuch Palermo
        geodist nokey a b
        geodist nokey a b yd
        geoadd w 0 0 a 180 0 b -180 0 c 0 85.05112878 n 0 -85.05112878 s 179.999999 10 e1 -179.999999 10 w1
        geodist w a b km
        geodist w b c
        geodist w n s km
        geodist w e1 w1
        geodist w a a
        zadd plain 0 zero 1 one 4503599627370495 top
        geodist plain zero one
        geodist plain zero top mi
        set str x
        geodist str a b
        geodist str a b yd
        """);

    [Fact]
    public void GeoHash_and_GeoPos_replies() => peers.AssertSame(Sicily + """

        geohash Sicily Palermo Catania Agrigento edge1 edge2 nosuch
        geohash Sicily
        geohash nokey a b
        geopos Sicily Palermo Catania Agrigento nosuch edge1
        geopos Sicily
        geopos nokey a b
        geoadd corners 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw 0 0 origin -0.0000001 0.0000001 tiny 90 45 mid -122.27652 37.805186 oakland
        geohash corners ne sw se nw origin tiny mid oakland
        geopos corners ne sw se nw origin tiny mid oakland
        zadd weird -1 neg 0 zero 1.5 frac 1e20 huge 4503599627370496 bit52 9007199254740992 bit53 18014398509481984 bit54 inf pinf -inf ninf 9223372036854775808 two63 1e19 e19 -9.3e18 bigneg
        geopos weird neg zero frac huge bit52 bit53 bit54 pinf ninf two63 e19 bigneg
        geohash weird neg zero frac huge bit52 bit53 bit54 pinf ninf two63 e19 bigneg
        georadius weird 0 0 30000 km WITHHASH WITHCOORD WITHDIST ASC
        set str x
        geohash str
        geohash str a
        geopos str
        geopos str a
        """);

    [Fact]
    public void GeoRadius_replies_with_every_option() => peers.AssertSame(Sicily + """

        georadius Sicily 15 37 200 km
        georadius Sicily 15 37 200 km ASC
        georadius Sicily 15 37 200 km DESC
        georadius Sicily 15 37 200 km WITHDIST
        georadius Sicily 15 37 200 km WITHCOORD
        georadius Sicily 15 37 200 km WITHHASH
        georadius Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
        georadius Sicily 15 37 200 km withhash withcoord withdist asc
        georadius Sicily 15 37 200000 m WITHDIST DESC
        georadius Sicily 15 37 124.27 mi WITHDIST
        georadius Sicily 15 37 656168 ft WITHDIST
        georadius Sicily 15 37 200 km COUNT 1
        georadius Sicily 15 37 200 km COUNT 2 DESC
        georadius Sicily 15 37 200 km COUNT 1 ANY
        georadius Sicily 15 37 200 km COUNT 2 ANY ASC
        georadius Sicily 15 37 200 km ANY COUNT 2 DESC WITHDIST
        georadius Sicily 15 37 200 km COUNT 100
        georadius Sicily 15 37 200 km COUNT 3 COUNT 1
        georadius Sicily 15 37 200 km ASC DESC
        georadius Sicily 15 37 0 km
        georadius Sicily 13.361389 38.115556 0 km
        georadius Sicily 15 37 1 m
        georadius Sicily 15 37 20000 km WITHDIST
        georadius Sicily 15 37 1e9 km WITHDIST
        georadius Sicily 15 37 inf km
        georadius nokey 15 37 200 km
        georadius nokey 15 37 200 km WITHDIST COUNT 3
        georadius_ro Sicily 15 37 200 km WITHDIST WITHCOORD COUNT 2
        georadius_ro Sicily 15 37 200 km DESC WITHHASH
        georadiusbymember Sicily Agrigento 100 km
        georadiusbymember Sicily Agrigento 100 km WITHDIST WITHCOORD WITHHASH DESC
        georadiusbymember Sicily Palermo 300 km COUNT 2
        georadiusbymember Sicily Palermo 0 km WITHDIST
        georadiusbymember_ro Sicily Palermo 300 km COUNT 3 WITHDIST
        georadiusbymember_ro Sicily Palermo 300 km COUNT 1 ANY
        georadiusbymember nokey Palermo 300 km
        georadiusbymember nokey Palermo 300 badunit
        georadiusbymember nokey Palermo notanumber km
        georadiusbymember nokey Palermo 300 km WITHDIST
        """);

    [Fact]
    public void GeoRadius_errors_in_Redis_order() => peers.AssertSame(Sicily + """

        georadius Sicily 15 37 200
        georadius Sicily 15 37 200 yd
        georadius Sicily 15 37 -1 km
        georadius Sicily 15 37 -1 yd
        georadius Sicily 15 37 abc km
        georadius Sicily 15 37 nan km
        georadius Sicily abc 37 200 km
        georadius Sicily 15 abc 200 km
        georadius Sicily 181 37 200 km
        georadius Sicily 15 86 abc yd
        georadius Sicily 15 37 200 km COUNT
        georadius Sicily 15 37 200 km COUNT 0
        georadius Sicily 15 37 200 km COUNT -5
        georadius Sicily 15 37 200 km COUNT abc
        georadius Sicily 15 37 200 km COUNT 1.5
        georadius Sicily 15 37 200 km COUNT 99999999999999999999
        georadius Sicily 15 37 200 km ANY
        georadius Sicily 15 37 200 km ANY WITHDIST
        georadius Sicily 15 37 200 km BOGUS
        georadius Sicily 15 37 200 km STORE
        georadius Sicily 15 37 200 km STORE dst WITHDIST
        georadius Sicily 15 37 200 km WITHHASH STOREDIST dst
        georadius Sicily 15 37 200 km STORE dst WITHCOORD ANY
        georadius Sicily 15 37 200 km ANY STORE dst
        georadius Sicily 15 37 200 km COUNT 0 STORE dst WITHDIST
        georadius Sicily 15 37 200 km FROMLONLAT 1 1
        georadius Sicily 15 37 200 km BYRADIUS 1 km
        georadius_ro Sicily 15 37 200 km STORE dst
        georadius_ro Sicily 15 37 200 km STOREDIST dst
        georadiusbymember Sicily nosuch 200 km
        georadiusbymember Sicily nosuch 200 yd
        georadiusbymember Sicily Palermo 200 yd
        georadiusbymember Sicily Palermo -200 km
        georadiusbymember Sicily Palermo x km
        georadiusbymember Sicily Palermo 200 km STORE dst WITHHASH
        georadiusbymember_ro Sicily Palermo 200 km STORE dst
        georadius Sicily 15 37 200
        georadius Sicily 15 37 200 km
        georadius Sicily
        georadius_ro Sicily 15 37 200
        georadiusbymember Sicily Palermo 200
        georadiusbymember_ro Sicily Palermo
        set str x
        georadius str 15 37 200 km
        georadius str 200 37 200 km
        georadiusbymember str a 200 km
        georadius_ro str 15 37 200 yd
        """);

    [Fact]
    public void GeoRadius_Store_and_StoreDist() => peers.AssertSame(Sicily + """

        georadius Sicily 15 37 200 km STORE dst
        type dst
        zrange dst 0 -1 withscores
        georadius Sicily 15 37 200 km STOREDIST dst
        zrange dst 0 -1 withscores
        georadius Sicily 15 37 200 km STOREDIST dst COUNT 1
        zrange dst 0 -1 withscores
        georadius Sicily 15 37 200 km STOREDIST dst COUNT 1 DESC
        zrange dst 0 -1 withscores
        georadius Sicily 15 37 200 km STORE a STOREDIST b
        exists a b
        zrange b 0 -1 withscores
        georadius Sicily 15 37 200 km STOREDIST a STORE b
        zrange b 0 -1 withscores
        georadius Sicily 15 37 200 mi STOREDIST inmiles ASC
        zrange inmiles 0 -1 withscores
        georadiusbymember Sicily Palermo 300 km STORE bym COUNT 3
        zrange bym 0 -1 withscores
        georadiusbymember Sicily Palermo 300 km STOREDIST bym COUNT 2 ANY
        zrange bym 0 -1 withscores
        set dst x
        expire dst 1000
        georadius Sicily 15 37 200 km STORE dst
        type dst
        ttl dst
        georadius Sicily 0 0 1 km STORE dst
        exists dst
        georadius Sicily 0 0 1 km STORE dst
        set dst2 x
        georadius nokey 0 0 1 km STORE dst2
        exists dst2
        georadiusbymember nokey Palermo 1 km STORE dst2
        georadiusbymember nokey Palermo 1 yd STOREDIST dst2
        geosearchstore dst3 Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        zrange dst3 0 -1 withscores
        geoadd Sicily 15 37 selfstore
        georadius Sicily 15 37 1 km STORE Sicily
        zrange Sicily 0 -1 withscores
        """);

    [Fact]
    public void GeoSearch_radius_and_box_with_every_option() => peers.AssertSame(Sicily + """

        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST WITHCOORD WITHHASH
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC COUNT 2
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY
        geosearch Sicily FROMLONLAT 15 37 BYBOX 400 400 km
        geosearch Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST WITHCOORD WITHHASH
        geosearch Sicily FROMLONLAT 15 37 BYBOX 400 100 km WITHDIST
        geosearch Sicily FROMLONLAT 15 37 BYBOX 100 400 km WITHDIST
        geosearch Sicily FROMLONLAT 15 37 BYBOX 248.5 248.5 mi DESC WITHDIST
        geosearch Sicily FROMLONLAT 15 37 BYBOX 0 0 km
        geosearch Sicily FROMMEMBER Palermo BYBOX 0 0 km WITHDIST
        geosearch Sicily FROMMEMBER Palermo BYRADIUS 200 km WITHDIST
        geosearch Sicily FROMMEMBER Palermo BYBOX 500 500 km COUNT 3 DESC WITHCOORD
        geosearch Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 100 km
        geosearch Sicily BYRADIUS 200 km FROMLONLAT 15 37 ASC
        geosearch Sicily WITHDIST BYBOX 400 400 km ASC FROMMEMBER Catania
        geosearch Sicily frommember Agrigento bybox 200 200 KM withdist count 2 any
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1e9 km WITHDIST
        geosearch Sicily FROMLONLAT 0 0 BYBOX 50000 50000 km WITHDIST
        geosearch nokey FROMLONLAT 15 37 BYRADIUS 200 km
        geosearch nokey FROMMEMBER x BYRADIUS 200 km
        geosearchstore dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km
        zrange dst 0 -1 withscores
        geosearchstore dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST
        zrange dst 0 -1 withscores
        geosearchstore dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST DESC COUNT 2
        zrange dst 0 -1 withscores
        geosearchstore dst Sicily FROMMEMBER Catania BYRADIUS 100 mi ASC COUNT 1 ANY STOREDIST
        zrange dst 0 -1 withscores
        geosearchstore dst Sicily FROMLONLAT 0 0 BYRADIUS 1 km
        exists dst
        set dst x
        geosearchstore dst nokey FROMLONLAT 0 0 BYRADIUS 1 km
        exists dst
        geosearchstore dst nokey FROMMEMBER nosuch BYRADIUS 1 km STOREDIST
        """);

    [Fact]
    public void GeoSearch_errors_in_Redis_order() => peers.AssertSame(Sicily + """

        geosearch Sicily FROMLONLAT 15 37
        geosearch Sicily BYRADIUS 200 km
        geosearch Sicily BYRADIUS 200 km ASC
        GEOSEARCH Sicily BYRADIUS 200 km ASC
        geosearch Sicily FROMLONLAT 15 37 WITHDIST ASC
        GeoSearch Sicily FROMMEMBER Palermo WITHDIST ASC
        geosearch Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km
        geosearch Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
        geosearch Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYRADIUS 2 km
        geosearch Sicily FROMMEMBER nosuch BYRADIUS 1 km
        geosearch Sicily FROMMEMBER nosuch BYRADIUS 1 yd
        geosearch Sicily FROMLONLAT 200 37 BYRADIUS 1 km
        geosearch Sicily FROMLONLAT x 37 BYRADIUS 1 km
        geosearch Sicily FROMLONLAT 15 x BYRADIUS 1 km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS x km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS -1 km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 yd
        geosearch Sicily FROMLONLAT 15 37 BYBOX x 1 km
        geosearch Sicily FROMLONLAT 15 37 BYBOX 1 x km
        geosearch Sicily FROMLONLAT 15 37 BYBOX -1 1 km
        geosearch Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
        geosearch Sicily FROMLONLAT 15 37 BYBOX 1 1 yd
        geosearch Sicily FROMLONLAT 15 37 BYBOX 1 1
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1
        geosearch Sicily FROMLONLAT 15 BYRADIUS 1 km
        geosearch Sicily FROMMEMBER BYRADIUS 1 km
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE dst
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT x
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 1 km BOGUS
        geosearch nokey FROMLONLAT 15 37 WITHDIST ASC
        geosearch nokey FROMMEMBER x WITHDIST ASC
        geosearch nokey FROMMEMBER x BYRADIUS 1 km ANY
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHHASH
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE other
        geosearchstore dst Sicily BYRADIUS 200 km ASC
        GEOSEARCHSTORE dst Sicily BYRADIUS 200 km ASC
        geosearchstore dst Sicily FROMLONLAT 15 37 ASC DESC
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS
        geosearch Sicily FROMLONLAT 15 37 BYRADIUS 200
        geosearch Sicily
        geosearchstore dst Sicily FROMLONLAT 15 37 BYRADIUS 200
        geosearchstore dst
        set str x
        geosearch str FROMLONLAT 15 37 BYRADIUS 200 km
        geosearch str FROMLONLAT 200 37 BYRADIUS 200 yd
        geosearchstore dst str FROMLONLAT 15 37 BYRADIUS 200 km
        geosearchstore str Sicily FROMLONLAT 15 37 BYRADIUS 200 km
        type str
        zrange str 0 -1
        """);

    [Fact]
    public void Searches_near_poles_antimeridian_and_limits() => peers.AssertSame("""
        flushdb
        geoadd edge 180 0 e -180 0 w 179.9 0.1 e2 -179.9 -0.1 w2 0 85.05112878 n 90 85 n2 -90 85.05 n3 0 -85.05112878 s 45 -84.9 s2 180 85.05112878 ne -180 -85.05112878 sw
        georadius edge 180 0 50 km WITHDIST WITHCOORD ASC
        georadius edge -180 0 50 km WITHDIST WITHCOORD ASC
        georadius edge 179.95 0 30 km WITHDIST
        georadius edge 0 85.05112878 1000 km WITHDIST WITHCOORD ASC
        georadius edge 0 85.05112878 5000 km WITHDIST ASC
        georadius edge 0 -85.05112878 100 km WITHDIST ASC
        georadius edge 180 85.05112878 10 km WITHDIST WITHHASH
        georadius edge -180 -85.05112878 10 km WITHDIST WITHHASH
        georadiusbymember edge ne 3000 km WITHDIST ASC
        georadiusbymember edge sw 3000 km WITHDIST ASC
        geosearch edge FROMLONLAT 180 0 BYBOX 100 100 km WITHDIST ASC
        geosearch edge FROMLONLAT -179.99 0 BYBOX 100 100 km WITHDIST ASC
        geosearch edge FROMLONLAT 0 85 BYBOX 20000 500 km WITHDIST ASC
        geosearch edge FROMLONLAT 0 -85 BYBOX 20000 500 km WITHDIST ASC
        geosearch edge FROMLONLAT 0 0 BYRADIUS 20037 km WITHDIST ASC
        geosearch edge FROMLONLAT 0 0 BYRADIUS 10000 km WITHDIST DESC COUNT 3
        geosearch edge FROMLONLAT 0 0 BYBOX 40000 20000 km ASC
        geohash edge e w e2 w2 n n2 n3 s s2 ne sw
        geopos edge e w e2 w2 n n2 n3 s s2 ne sw
        """);

    [Fact]
    public void Equal_distances_keep_Redis_order() => peers.AssertSame("""
        flushdb
        # Points at one position tie on distance: a full sort keeps the scan order (score, then member); COUNT
        # below the result size takes Redis's partial quicksort, whose order for ties is its own.
        geoadd t 10 20 a 10 20 b 10 20 c 10 20 d 10 20 e 10 20 f 10 20 g 10 20 h 10.1 20 i 10.1 20 j 9.9 20 k 9.9 20 l 10 20.1 m 10 19.9 n
        georadius t 10 20 100 km
        georadius t 10 20 100 km ASC
        georadius t 10 20 100 km DESC
        georadius t 10 20 100 km COUNT 3
        georadius t 10 20 100 km COUNT 5 DESC
        georadius t 10 20 100 km COUNT 9 ASC WITHDIST
        georadius t 10 20 100 km COUNT 13 DESC WITHDIST
        georadius t 10 20 100 km COUNT 4 ANY
        georadius t 10.05 20 100 km ASC WITHDIST
        georadius t 10.05 20 100 km COUNT 6 WITHDIST
        geosearch t FROMLONLAT 10 20 BYBOX 30 30 km COUNT 7 DESC
        geosearch t FROMMEMBER a BYRADIUS 50 km COUNT 10 DESC
        georadius t 10 20 100 km STORE st COUNT 5 DESC
        zrange st 0 -1
        """);

    [Fact]
    public void Inside_transactions_and_scripts() => peers.AssertSame(Sicily + """

        multi
        geoadd m 1 1 a
        georadius m 1 1 10 km WITHDIST
        geoadd m 200 1 b
        geopos m a nosuch
        exec
        eval "return redis.call('geopos', KEYS[1], 'Palermo', 'nosuch')" 1 Sicily
        eval "return redis.call('georadius', KEYS[1], 15, 37, 200, 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH')" 1 Sicily
        eval "return redis.call('geodist', KEYS[1], 'Palermo', 'Catania', 'km')" 1 Sicily
        eval "return redis.call('georadius', KEYS[1], 15, 37, 200, 'km', 'STORE', 'dst')" 1 Sicily
        zrange dst 0 -1 withscores
        eval "return redis.pcall('geoadd', KEYS[1], 200, 100, 'x')" 1 Sicily
        eval_ro "return redis.pcall('georadius', KEYS[1], 15, 37, 200, 'km')" 1 Sicily
        eval_ro "return redis.call('georadius_ro', KEYS[1], 15, 37, 200, 'km')" 1 Sicily
        eval_ro "return redis.call('geosearch', KEYS[1], 'FROMMEMBER', 'Palermo', 'BYRADIUS', 200, 'km')" 1 Sicily
        """);

    [Fact]
    public void Keys_of_geo_commands() => peers.AssertSame("""
        COMMAND GETKEYS georadius k 1 1 1 km
        COMMAND GETKEYS georadius k 1 1 1 km STORE dst
        COMMAND GETKEYS georadius k 1 1 1 km STORE a STOREDIST b
        COMMAND GETKEYS georadius k 1 1 1 km STOREDIST b WITHDIST
        COMMAND GETKEYS georadius k 1 1 1 km STORE
        COMMAND GETKEYS georadius k 1 1 1 km STORE a STORE b
        COMMAND GETKEYS georadius k 1 1 1 km STOREDIST a STORE b
        COMMAND GETKEYS georadius k 1 1 1 km STOREDIST a STOREDIST b
        COMMAND GETKEYS georadius k 1 1 STORE km STORE b
        COMMAND GETKEYS georadius k 1 1 1 STORE x
        COMMAND GETKEYS georadius k 1 1 1 km withdist store
        COMMAND GETKEYS georadiusbymember k STORE 1 km STORE x
        COMMAND GETKEYS georadiusbymember k m STORE km
        COMMAND GETKEYS georadiusbymember k STORE 1 km
        COMMAND GETKEYS georadiusbymember k m 1 km store d
        COMMAND GETKEYS georadius_ro k 1 1 1 km STORE dst
        COMMAND GETKEYS geosearch k FROMLONLAT 1 1 BYRADIUS 1 km
        COMMAND GETKEYS geosearchstore d k FROMLONLAT 1 1 BYRADIUS 1 km
        COMMAND GETKEYS geoadd k 1 1 m
        COMMAND GETKEYS geodist k a b
        COMMAND GETKEYS geopos k a
        COMMAND GETKEYS geohash k
        COMMAND INFO georadius georadius_ro georadiusbymember georadiusbymember_ro geosearch geosearchstore geoadd geodist geohash geopos
        COMMAND GETKEYSANDFLAGS georadius k 1 1 1 km STORE a STOREDIST b
        COMMAND GETKEYSANDFLAGS georadiusbymember k m 1 km STOREDIST b
        COMMAND GETKEYSANDFLAGS geosearchstore d s FROMLONLAT 1 1 BYRADIUS 1 km
        COMMAND GETKEYSANDFLAGS geoadd d 1 1 m
        COMMAND GETKEYSANDFLAGS geosearch k FROMLONLAT 1 1 BYRADIUS 1 km
        """);
}
