#!/usr/bin/env bash
# Memory per key of many small collections: 100,000 keys of each kind below, loaded with redis-cli --pipe into
# Debian's redis-server and into codis-server in the same run (one fresh pair of servers per kind). MEMORY PURGE
# before and after each load; prints the growth of INFO used_memory per key and the ratio ours/redis.
# usage: bench/small-collections.sh [keys=100000] [kinds=hash5,zset3,zset5,set4,intset5,list3,string]
# NOBUILD=1 skips the publish (bin/ is used as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
KINDS=${2:-hash5,zset3,zset5,set4,intset5,list3,string}
command -v redis-cli >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools redis-server)"; exit 1; }
[ -n "${NOBUILD:-}" ] || dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# One RESP command per key, as the README's measurements describe them.
gen() {
  python3 - "$1" "$N" <<'PY'
import sys
kind, n = sys.argv[1], int(sys.argv[2])
def cmd(*a):
    a = [str(x).encode() for x in a]
    return b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a)
out = sys.stdout.buffer
for i in range(n):
    if kind == "hash5":   c = cmd("HSET", f"user:{i}", "name", f"n{i}", "age", i % 90, "city", "c%d" % (i % 50), "score", i, "flag", 1)
    elif kind == "zset3": c = cmd("ZADD", f"rank:{i}", 1, "a", 2, "b", 3, f"m{i}")
    elif kind == "zset5": c = cmd("ZADD", f"rank:{i}", 1, "a", 2, "b", 3, "c", 4, "d", 5, f"m{i}")
    elif kind == "set4":  c = cmd("SADD", f"tags:{i}", "t1", "t2", "tag%d" % (i % 100), f"x{i}")
    elif kind == "intset5": c = cmd("SADD", f"ids:{i}", 1, 2, 3, i % 1000, 100000 + i)
    elif kind == "list3": c = cmd("RPUSH", f"q:{i}", "job1", "job2", f"job{i}")
    elif kind == "string": c = cmd("SET", f"key:{i:012d}", f"val:{i:012d}")
    else: raise SystemExit("unknown kind " + kind)
    out.write(c)
PY
}

used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
measure() { # port -> bytes per key of the load
  local port=$1 before after
  redis-cli -p "$port" memory purge >/dev/null; sleep 1; before=$(used "$port")
  redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null
  [ "$(redis-cli -p "$port" dbsize)" = "$N" ] || { echo "port $port: dbsize is not $N" >&2; exit 1; }
  redis-cli -p "$port" memory purge >/dev/null; sleep 2; after=$(used "$port")
  python3 -c "print(f'{($after - $before) / $N:.0f}')"
}

echo "| $N keys of | redis-server bytes/key | codis-server bytes/key | ratio ours/redis | codis OBJECT ENCODING |"
echo "|---|---|---|---|---|"
for kind in ${KINDS//,/ }; do
  gen "$kind" >"$work/load.resp"
  rport=$((20000 + RANDOM % 10000)); cport=$((rport + 1))
  dir="$work/$kind"; mkdir -p "$dir"   # a fresh dir: no server loads the previous kind's dump
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize no >"$work/redis.log" 2>&1 &
  rpid=$!
  dotnet bin/codis-server.dll --port "$cport" --dir "$dir" --save "" --appendonly no >"$work/codis.log" 2>&1 &
  cpid=$!
  pids=($rpid $cpid)
  for p in $rport $cport; do
    for _ in $(seq 300); do [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
    [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] || { echo "server on port $p did not start:"; tail -5 "$work"/*.log; exit 1; }
  done
  r=$(measure $rport) && c=$(measure $cport) || exit 1
  key=$(redis-cli -p "$cport" randomkey)
  enc=$(redis-cli -p "$cport" object encoding "$key")
  python3 -c "print(f'| $kind | $r | $c | {$c / $r:.2f} | $enc |')"
  kill $rpid $cpid; wait $rpid $cpid 2>/dev/null || true
done
