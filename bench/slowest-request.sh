#!/usr/bin/env bash
# The slowest request of migration-bench's client load with no migration, on our stack and on the stock one, in
# the same run: is a 20 ms bound on the slowest request something this machine's scheduling allows at all?
#   ours:  redis-benchmark -> codis-proxy (--fillslots, no dashboard) -> two codis-servers (slots 0-511 / 512-1023)
#   stock: redis-benchmark -> twemproxy (nutcracker)                  -> two redis-servers
# Both get the same load: redis-benchmark -c CLIENTS -n REQUESTS -r 1000000 -t set,get, alternating, ROUNDS times.
# usage: [ROUNDS=3] [BIN=dir-with-codis-server-and-codis-proxy] bench/slowest-request.sh [requests=300000] [clients=50]
# Prints one row per run: req/s, p99 and max latency (ms) of SET and GET, then the medians and the worst max.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
C=${2:-50}
ROUNDS=${ROUNDS:-3}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools redis-server)"; exit 1; }
# shellcheck source=lib/twemproxy.sh
. bench/lib/twemproxy.sh
twemproxy_install
BIN=${BIN:-}
if [ -z "$BIN" ]; then
  dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
  dotnet publish src/Codis.Proxy -c Release -o bin --nologo -v q >/dev/null
  BIN=bin
fi
work=$(mktemp -d)
base=$((20000 + RANDOM % 10000))
c1=$base; c2=$((base + 1)); pp=$((base + 2)); pa=$((base + 3)); r1=$((base + 4)); r2=$((base + 5)); tp=$((base + 6)); ts=$((base + 7))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for p in $c1 $c2; do
  dotnet "$BIN/codis-server.dll" --port "$p" --save "" --appendonly no --dir "$work" >"$work/codis-$p.log" 2>&1 &
  pids+=($!)
done
for p in $r1 $r2; do
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no >"$work/redis-$p.log" 2>&1 &
  pids+=($!)
done
python3 bench/lib/halfslots.py "$c1" "$c2" >"$work/slots.json"
dotnet "$BIN/codis-proxy.dll" --addr=127.0.0.1:$pp --http-addr=127.0.0.1:$pa --fillslots "$work/slots.json" >"$work/proxy.log" 2>&1 &
pids+=($!)
twemproxy_start "$work" "$tp" "$ts" "$r1" "$r2"
pids+=("$TWEMPROXY_PID")
for p in $c1 $c2 $r1 $r2 $pp $tp; do
  for _ in $(seq 200); do redis-cli -p "$p" set bench:ready 1 2>/dev/null | grep -q OK && break; sleep 0.1; done
done
# redis-benchmark --csv: test,rps,avg,min,p50,p95,p99,max (ms)
run() { redis-benchmark -p "$1" -c "$C" -n "$N" -r 1000000 -t set,get --csv 2>/dev/null | tail -n +2 | tr -d '"'; }
run "$pp" >/dev/null # warm-up: the JIT, and the keyspace both stacks fill
run "$tp" >/dev/null
echo "| run | stack | SET req/s | SET p99 ms | SET max ms | GET req/s | GET p99 ms | GET max ms |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for stack in ours stock; do
    port=$pp; [ "$stack" = stock ] && port=$tp
    rows=$(run "$port")
    echo "$rows" | awk -F, -v r="$round" -v s="$stack" '
      $1=="SET" {sr=$2; sp=$7; sm=$8} $1=="GET" {gr=$2; gp=$7; gm=$8}
      END { printf "| %s | %s | %.0f | %s | %s | %.0f | %s | %s |\n", r, s, sr, sp, sm, gr, gp, gm }' | tee -a "$work/runs"
  done
done
echo
python3 - "$work/runs" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = [x.strip() for x in line.strip().strip("|").split("|")]
    rows.setdefault(f[1], []).append([float(x) for x in f[2:]])
print("| stack | SET req/s (median) | SET max ms (median / worst) | GET req/s (median) | GET max ms (median / worst) |")
print("|---|---|---|---|---|")
for stack, runs in rows.items():
    col = lambda i: [r[i] for r in runs]
    print(f"| {stack} | {statistics.median(col(0)):.0f} | {statistics.median(col(2)):.1f} / {max(col(2)):.1f} | "
          f"{statistics.median(col(3)):.0f} | {statistics.median(col(5)):.1f} / {max(col(5)):.1f} |")
PY
