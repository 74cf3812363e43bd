#!/usr/bin/env bash
# maxmemory with eviction, redis-server 7.0 and codis-server side by side: each starts with
# `--maxmemory <limit> --maxmemory-policy <policy>`, takes the same redis-benchmark SET load over a key space much
# larger than fits, and is read 2 s later: SET req/s, keys kept, used_memory, RSS, evicted_keys, and the server's
# CPU time per request. Rounds alternate the two servers.
# usage: bench/eviction.sh [requests=1000000] [limit=50mb] [policy=allkeys-lru]   (env: ROUNDS=2 SIZE=100 PIPELINE=16 NOBUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}; LIMIT=${2:-50mb}; POLICY=${3:-allkeys-lru}
ROUNDS=${ROUNDS:-2}; SIZE=${SIZE:-100}; PIPELINE=${PIPELINE:-16}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools and redis-server (apt-get install -y redis-tools redis-server)"; exit 1; }
[ -n "${NOBUILD:-}" ] || dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
work=$(mktemp -d)
rport=$((20000 + RANDOM % 10000)); cport=$((rport + 1))
redis-server --port "$rport" --bind 127.0.0.1 --save "" --dir "$work" --maxmemory "$LIMIT" --maxmemory-policy "$POLICY" >"$work/redis.log" 2>&1 &
rpid=$!
bin/codis-server --port "$cport" --save "" --dir "$work" --maxmemory "$LIMIT" --maxmemory-policy "$POLICY" >"$work/codis.log" 2>&1 &
cpid=$!
trap 'kill $rpid $cpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for p in $rport $cport; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, clock ticks
tck=$(getconf CLK_TCK)
echo "| server | round | SET req/s | CPU µs/req | keys kept | used_memory MB | RSS MB | evicted_keys |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for name in redis codis; do
    if [ $name = redis ]; then port=$rport; pid=$rpid; else port=$cport; pid=$cpid; fi
    c0=$(cpu $pid)
    rps=$(redis-benchmark -p "$port" -c 50 -n "$N" -r 10000000 -d "$SIZE" -P "$PIPELINE" -t set --csv 2>/dev/null | awk -F'"' '/^"SET"/{print $4}')
    c1=$(cpu $pid)
    sleep 2
    keys=$(redis-cli -p "$port" dbsize)
    used=$(redis-cli -p "$port" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{printf "%.1f", $2/1e6}')
    rss=$(awk '/^VmRSS:/{printf "%.1f", $2 * 1024 / 1e6}' "/proc/$pid/status")
    evicted=$(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '$1=="evicted_keys"{print $2}')
    us=$(python3 -c "print(f'{($c1 - $c0) / $tck * 1e6 / $N:.2f}')")
    echo "| $name | $round | $rps | $us | $keys | $used | $rss | $evicted |"
  done
done
echo "(limit $LIMIT, $POLICY, values of $SIZE bytes, -P $PIPELINE, -c 50, $N SETs per round over 10,000,000 keys)"
