#!/usr/bin/env bash
# Slot migration speed, idle and under client load, through the real dashboard, proxy and two codis-servers.
# usage: bench/migration-bench.sh [keys=2000000] [clients=50]   (env: METHOD=semi-async|sync PARALLEL=100 NUMKEYS=500 KEEP=1 keeps the logs, IDLE_ONLY=1 stops after step 1,
#   INTERVAL=micros paces the migration under load: codis-admin --slot-action --interval, slept between two calls on a source,
#   GUARD=ratio sets the dashboard's migration_latency_guard (default: the dashboard's own, 1.3; 0 = off, full speed),
#   NOBUILD=1 runs bin/ as it is)
# All 1024 slots start on group 1 with KEYS keys (key:%012d, 16-byte values, loaded with redis-cli --pipe), so
# slots 0-511 hold about KEYS/2 keys. Then:
#   1. idle: migrate slots 0-511 to group 2, timed with codis-config (keys/s = keys moved / seconds);
#   2. baseline: redis-benchmark -c CLIENTS -t set,get through the proxy, with no migration;
#   3. under load: migrate 0-511 back to group 1 while redis-benchmark runs in a loop: its throughput against the
#      baseline, and the slowest request it saw (max latency).
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-2000000}
C=${2:-50}
METHOD=${METHOD:-semi-async}
PARALLEL=${PARALLEL:-100}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools)"; exit 1; }

[ -n "${NOBUILD:-}" ] || for p in Server Proxy Dashboard Admin Config; do dotnet publish "src/Codis.$p" -c Release -o bin --nologo -v q >/dev/null; done
work=$(mktemp -d)
base=$((20000 + RANDOM % 10000))
s1=$base; s2=$((base + 1)); pp=$((base + 2)); pa=$((base + 3)); da=$((base + 4))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open"; exit 1; }

for p in $s1 $s2; do
  bin/codis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/server-$p.log" 2>&1 &
  pids+=($!)
done
mkdir -p "$work/coordinator"
bin/codis-dashboard --filesystem="$work/coordinator" --product_name bench --admin_addr "127.0.0.1:$da" \
  --migration_method "$METHOD" --migration_parallel_slots "$PARALLEL" --migration_async_numkeys "${NUMKEYS:-500}" \
  ${GUARD:+--migration_latency_guard "$GUARD"} >"$work/dashboard.log" 2>&1 &
pids+=($!)
for p in $s1 $s2 $da; do wait_port "$p"; done
admin() { bin/codis-admin --dashboard="127.0.0.1:$da" "$@" >/dev/null; }
admin --slots-init --force
admin --create-group --gid=1; admin --group-add --gid=1 --addr=127.0.0.1:$s1 --role=master
admin --create-group --gid=2; admin --group-add --gid=2 --addr=127.0.0.1:$s2 --role=master
admin --slots-range --beg=0 --end=1023 --gid=1
bin/codis-proxy --product_name bench --addr "127.0.0.1:$pp" --http-addr "127.0.0.1:$pa" --dashboard "127.0.0.1:$da" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_port "$pp"
for _ in $(seq 100); do redis-cli -p "$pp" set ready 1 2>/dev/null | grep -q OK && break; sleep 0.2; done

python3 - "$KEYS" >"$work/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); out = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i; v = b"val:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
redis-cli -p "$s1" --pipe <"$work/load.resp" >/dev/null
before=$(redis-cli -p "$s1" dbsize)

# config.ini for codis-config (the seed's tool), pointing at this dashboard
printf 'coordinator=filesystem\nzk=%s\nproduct=bench\ndashboard_addr=127.0.0.1:%s\n' "$work/coordinator" "$da" >"$work/config.ini"
migrate() { (cd "$work" && "$OLDPWD/bin/codis-config" slot migrate 0 511 "$1" >/dev/null 2>&1); }

# the latency guard's state (docs/DASHBOARD.md), from the dashboard's stats; watch() samples it every 0.5 s while a
# migration runs, guard() sums up the samples and the final state: paced share, median ratio, mean / max pause
xauth=$(printf 'Codis-XAuth-[bench]' | sha256sum | cut -c1-32)
pacer() { curl -s "http://127.0.0.1:$da/api/topom/actions/$xauth" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["pacer"]))'; }
watch() { while [ ! -f "$work/$1.done" ]; do pacer >>"$work/$1.pacer" 2>/dev/null || true; sleep 0.5; done; }
guard() {
  pacer >"$work/$1.final"
  python3 - "$work/$1.pacer" "$work/$1.final" <<'PY'
import json, statistics, sys
seen = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
final = json.load(open(sys.argv[2]))
moving = [p for p in seen if p["state"] not in ("idle", "off")]
ratios = [p["ratio"] for p in moving if p["ratio"] is not None]
pauses = [p["pause_us"] for p in moving]
if final["guard"] == 0:
    print("off (migration_latency_guard = 0)")
else:
    print("limit %s: %d of %d windows paced, %d baselines (%d ms held), median ratio %s, pause mean %.1f ms / max %.1f ms, last factor %s" % (
        final["guard"], final["paced_windows"], final["windows"], final["baselines"], final["baseline_hold_ms"],
        "%.2f" % statistics.median(ratios) if ratios else "-", (statistics.mean(pauses) if pauses else 0) / 1000,
        final["max_pause_us"] / 1000, final["factor"]))
PY
}

watch idle & watcher=$!
t0=$(date +%s.%N); migrate 2; t1=$(date +%s.%N)
touch "$work/idle.done"; wait $watcher
idle_guard=$(guard idle)
moved=$(redis-cli -p "$s2" dbsize)
calc() { awk "BEGIN{print $*}"; }
idle_s=$(calc "$t1 - $t0")
if [ -n "${IDLE_ONLY:-}" ]; then
  printf 'idle migration of 512 slots: %s keys in %.2f s, %.0f keys/s; latency guard: %s\n' "$moved" "$idle_s" "$(calc "$moved / $idle_s")" "$idle_guard"
  exit 0
fi

bench() { redis-benchmark -p "$pp" -c "$C" -n "$1" -r 1000000 -t set,get --csv 2>/dev/null | tail -n +2 | tr -d '"'; }
# baseline: three runs, median rps per test
base_rows=$( { bench 100000; bench 100000; bench 100000; } )
base_set=$(echo "$base_rows" | awk -F, '$1=="SET"{print $2}' | sort -n | sed -n 2p)
base_get=$(echo "$base_rows" | awk -F, '$1=="GET"{print $2}' | sort -n | sed -n 2p)
base_max=$(echo "$base_rows" | awk -F, 'NF>=8 && $8+0>m{m=$8+0} END{print m}')
base_p99=$(echo "$base_rows" | awk -F, 'NF>=8 && $7+0>m{m=$7+0} END{print m}')

[ -n "${INTERVAL:-}" ] && admin --slot-action --interval="$INTERVAL"
(migrate 1; echo done >"$work/migrated"; touch "$work/load.done") &
mig=$!
watch load & watcher=$!
t0=$(date +%s.%N)
rows=""
while [ ! -f "$work/migrated" ]; do rows+=$(bench 50000)$'\n'; done
wait $mig
t1=$(date +%s.%N)
wait $watcher
load_guard=$(guard load)
load_s=$(calc "$t1 - $t0")
load_set=$(echo "$rows" | awk -F, '$1=="SET"{s+=$2;n++} END{printf "%.0f", n?s/n:0}')
load_get=$(echo "$rows" | awk -F, '$1=="GET"{s+=$2;n++} END{printf "%.0f", n?s/n:0}')
# redis-benchmark --csv: test,rps,avg,min,p50,p95,p99,max (ms)
maxlat=$(echo "$rows" | awk -F, 'NF>=8 && $8+0>m{m=$8+0} END{print m}')
p99=$(echo "$rows" | awk -F, 'NF>=8 && $7+0>m{m=$7+0} END{print m}')
back=$(redis-cli -p "$s1" dbsize)

echo "| figure | value |"
echo "|---|---|"
echo "| keys in slots 0-511 (moved idle) | $moved |"
printf '| idle migration of 512 slots | %.2f s, %.0f keys/s |\n' "$idle_s" "$(calc "$moved / $idle_s")"
printf '| migration of 512 slots under load (50 clients) | %.2f s, %.0f keys/s |\n' "$load_s" "$(calc "$moved / $load_s")"
printf '| client SET req/s: baseline / during migration | %.0f / %s (%.2f×) |\n' "$base_set" "$load_set" "$(calc "$load_set / $base_set")"
printf '| client GET req/s: baseline / during migration | %.0f / %s (%.2f×) |\n' "$base_get" "$load_get" "$(calc "$load_get / $base_get")"
echo "| latency guard, idle migration | $idle_guard |"
echo "| latency guard, migration under load | $load_guard |"
echo "| slowest request without migration (max latency, worst p99 of the baseline runs) | $base_max ms ($base_p99 ms) |"
echo "| slowest request during migration (max latency, worst p99 of the runs) | $maxlat ms ($p99 ms) |"
echo "| keys on group 1 before / after the round trip | $before / $back (redis-benchmark -r 1000000 writes key:000000xxxxxx, inside the loaded range) |"
