#!/usr/bin/env bash
# Two codis-proxy builds side by side in front of the same two redis-server backends, measured in alternating
# runs (same machine load for both): user and system CPU µs per request of each proxy process, from /proc.
# Prints every run, then the median of the rounds per test, -P and build.
# usage: bench/proxy-ab.sh BIN_A BIN_B [requests=100000] [rounds=3]     (BIN_*: a `dotnet publish` output folder)
# env: TESTS=set,get  PIPELINES="1 16"  C=50  PROXY_ARGS=...
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; N=${3:-100000}; ROUNDS=${4:-3}
TESTS=${TESTS:-set,get}; PIPELINES=${PIPELINES:-1 16}; C=${C:-50}
work=$(mktemp -d)
base=$((30000 + RANDOM % 10000))
r1=$base; r2=$((base + 1)); pa=$((base + 2)); pb=$((base + 3)); ha=$((base + 4)); hb=$((base + 5))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for p in $r1 $r2; do
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no >"$work/redis-$p.log" 2>&1 &
  pids+=($!)
done
python3 bench/lib/halfslots.py "$r1" "$r2" >"$work/slots.json"
dotnet "$A/codis-proxy.dll" --addr=127.0.0.1:$pa --http-addr=127.0.0.1:$ha --fillslots "$work/slots.json" ${PROXY_ARGS:-} >"$work/a.log" 2>&1 &
pids+=($!); pid_a=$!
dotnet "$B/codis-proxy.dll" --addr=127.0.0.1:$pb --http-addr=127.0.0.1:$hb --fillslots "$work/slots.json" ${PROXY_ARGS:-} >"$work/b.log" 2>&1 &
pids+=($!); pid_b=$!
for p in $r1 $r2 $pa $pb; do
  for _ in $(seq 200); do redis-cli -p "$p" set bench:ready 1 2>/dev/null | grep -q OK && break; sleep 0.1; done
done
tck=$(getconf CLK_TCK)
measure() { # label port pid test P
  local u0 s0 u1 s1 rps
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$3/stat")
  rps=$(redis-benchmark -p "$2" -c "$C" -n "$N" -P "$5" -r 100000 -t "$4" --csv 2>/dev/null | tail -n +2 | tr -d '"' | head -1 | cut -d, -f2)
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$3/stat")
  awk -v l="$1" -v t="$4" -v P="$5" -v r="$rps" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v k="$tck" -v n="$N" \
    'BEGIN { printf "| %s | %s | %s | %.0f | %.2f | %.2f | %.2f |\n", t, P, l, r, u*1e6/k/n, s*1e6/k/n, (u+s)*1e6/k/n }'
}
for P in $PIPELINES; do
  redis-benchmark -p "$pa" -c "$C" -n 30000 -P "$P" -r 100000 -t "$TESTS" -q >/dev/null 2>&1 || true
  redis-benchmark -p "$pb" -c "$C" -n 30000 -P "$P" -r 100000 -t "$TESTS" -q >/dev/null 2>&1 || true
done
echo "| test | -P | build | req/s | user µs/req | system µs/req | CPU µs/req |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for P in $PIPELINES; do
    for t in ${TESTS//,/ }; do
      measure A "$pa" "$pid_a" "$t" "$P" | tee -a "$work/runs"
      measure B "$pb" "$pid_b" "$t" "$P" | tee -a "$work/runs"
    done
  done
done
echo
echo "Medians over $ROUNDS rounds (A = $A, B = $B):"
echo
python3 - "$work/runs" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = [x.strip() for x in line.strip().strip("|").split("|")]
    rows.setdefault((f[0], f[1]), {}).setdefault(f[2], []).append([float(x) for x in f[3:]])
print("| test | -P | A user µs/req | B user µs/req | A system | B system | A CPU µs/req | B CPU µs/req | B/A CPU | A req/s | B req/s |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (t, P), by in rows.items():
    med = {b: [statistics.median(col) for col in zip(*v)] for b, v in by.items()}
    a, b = med["A"], med["B"]
    print(f"| {t} | {P} | {a[1]:.2f} | {b[1]:.2f} | {a[2]:.2f} | {b[2]:.2f} | {a[3]:.2f} | {b[3]:.2f} | {b[3] / a[3]:.2f} | {a[0]:.0f} | {b[0]:.0f} |")
PY
