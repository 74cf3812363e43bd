#!/usr/bin/env bash
# Throughput and latency of codis-server against Debian's redis-server, in the same run on this machine.
# usage: bench/redis-benchmark.sh [requests=200000] [clients=50]
#   env: TESTS=set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100,xadd,xrange_10 ROUNDS=3 CODIS_ARGS="--event-loop no" (more codis-server flags)
#        KEYSPACE=100000: redis-benchmark's -r, keys (and members/fields) drawn from that many (default: none, so
#        every test hits one key, redis-benchmark's own default); both servers are filled with SET first.
#   xadd = XADD bench:s:<random> * f v; xrange_10 = XRANGE bench:xr - + COUNT 10 on a 1000-entry stream (both are
#   redis-benchmark custom commands, not -t tests).
# Prints one table: requests/s, p50 and p99 (ms) for both (medians of ROUNDS alternating runs), and ours/redis.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
C=${2:-50}
TESTS=${TESTS:-set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100,xadd,xrange_10}
ROUNDS=${ROUNDS:-3}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools redis-server)"; exit 1; }

dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
work=$(mktemp -d)
rport=$((20000 + RANDOM % 10000)); cport=$((rport + 1))
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!
# shellcheck disable=SC2086
dotnet bin/codis-server.dll --port "$cport" --save "" --appendonly no --dir "$work" ${CODIS_ARGS:-} >"$work/codis.log" 2>&1 &
cpid=$!
trap 'kill $rpid $cpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for p in $rport $cport; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
# The stream xrange_10 reads: 1000 entries of one field each, in both servers.
for p in $rport $cport; do for i in $(seq 1000); do echo "XADD bench:xr * field value-$i"; done | redis-cli -p "$p" >/dev/null; done

KEYSPACE=${KEYSPACE:-}
RANGE=(); [ -n "$KEYSPACE" ] && RANGE=(-r "$KEYSPACE")
# With a keyspace, both servers start the runs holding every key (a write then overwrites, as in a live cache).
if [ -n "$KEYSPACE" ]; then for p in $rport $cport; do redis-benchmark -p "$p" -c "$C" -n $((KEYSPACE * 3)) -P 16 -t set "${RANGE[@]}" -q >/dev/null 2>&1; done; fi

TICK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system clock ticks of a process
run() { # port pid pipeline test -> csv line: test,rps,avg,min,p50,p95,p99,max,server-cpu-us-per-request
  local before after line
  before=$(cpu "$2")
  local what=(-t "$4")
  case $4 in
    xadd) what=(-r 100000 XADD 'bench:s:__rand_int__' '*' f v) ;;
    xrange_10) what=(XRANGE bench:xr - + COUNT 10) ;;
  esac
  line=$(redis-benchmark -p "$1" -c "$C" -n "$N" -P "$3" "${RANGE[@]}" --csv "${what[@]}" 2>/dev/null | tail -n +2 | tr -d '"' | sed "s/^[^,]*,/$4,/" || true)
  after=$(cpu "$2")
  [ -n "$line" ] && echo "$line,$(python3 -c "print(($after - $before) * 1e6 / $TICK / $N)")"
}
echo "| test | -P | redis-server req/s | codis-server req/s | ratio | redis p50 ms | ours p50 ms | redis p99 ms | ours p99 ms | p99 ours/redis | redis CPU µs/req | ours CPU µs/req |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for P in 1 16; do
  # warm-up for the JIT, then the measured runs: ROUNDS alternating runs per server and test, medians reported
  # (alternating, so that a burst of load from elsewhere on the machine hits both servers alike).
  redis-benchmark -p "$cport" -c "$C" -n 50000 -P "$P" "${RANGE[@]}" -t "$TESTS" -q >/dev/null 2>&1 || true
  redis-benchmark -p "$cport" -c "$C" -n 50000 -P "$P" XRANGE bench:xr - + COUNT 10 -q >/dev/null 2>&1 || true
  r=""; o=""
  for t in ${TESTS//,/ }; do
    for _ in $(seq "$ROUNDS"); do
      r+="$(run "$rport" "$rpid" "$P" "$t")"$'\n'
      o+="$(run "$cport" "$cpid" "$P" "$t")"$'\n'
    done
  done
  python3 - "$P" "$r" "$o" <<'PY'
import sys, statistics
P, r, o = sys.argv[1], sys.argv[2], sys.argv[3]
def rows(text):
    out = {}
    for line in text.splitlines():
        f = line.rsplit(",", 8)
        if len(f) == 9: out.setdefault(f[0], []).append([float(x) for x in f[1:]])
    # median of each column over the rounds
    return {t: [statistics.median(c) for c in zip(*runs)] for t, runs in out.items()}
rr, oo = rows(r), rows(o)
for test, a in rr.items():
    b = oo.get(test)
    if not b:
        print(f"| {test} | {P} | {a[0]:.0f} | error | - | {a[3]:.3f} | - | {a[5]:.3f} | - | - | {a[7]:.2f} | - |"); continue
    print(f"| {test} | {P} | {a[0]:.0f} | {b[0]:.0f} | {b[0]/a[0]:.2f} | {a[3]:.3f} | {b[3]:.3f} | {a[5]:.3f} | {b[5]:.3f} | {b[5]/a[5]:.2f} | {a[7]:.2f} | {b[7]:.2f} |")
PY
done
