#!/usr/bin/env bash
# codis-proxy against Debian's twemproxy (nutcracker) and against one redis-server, in the same run.
# Both proxies sit in front of the same two redis-server backends (ours: slots 0-511 / 512-1023; twemproxy:
# two servers, fnv1a_64 + modula). redis-benchmark -c 50 with -P 1 and -P 16, tests SET GET MSET.
# usage: [PROXY_ARGS="--event-loops 2"] [TESTS=set,get,mset] [BIN=/tmp/proxy-base] bench/proxy-benchmark.sh [requests=200000] [clients=50]
# BIN: run the codis-proxy published there (e.g. an older build, for before/after) instead of publishing this tree.
# Prints one markdown table: req/s for each, ours/twemproxy and ours/direct.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
C=${2:-50}
TESTS=${TESTS:-set,get,mset}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools redis-server)"; exit 1; }
# shellcheck source=lib/twemproxy.sh
. bench/lib/twemproxy.sh
twemproxy_install

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  dotnet publish src/Codis.Proxy -c Release -o bin --nologo -v q >/dev/null
  BIN=bin
fi
work=$(mktemp -d)
base=$((20000 + RANDOM % 10000))
r1=$base; r2=$((base + 1)); rd=$((base + 2)); pp=$((base + 3)); pa=$((base + 4)); tp=$((base + 5)); ts=$((base + 6))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for p in $r1 $r2 $rd; do
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no >"$work/redis-$p.log" 2>&1 &
  pids+=($!)
done
python3 bench/lib/halfslots.py "$r1" "$r2" >"$work/slots.json"
dotnet "$BIN/codis-proxy.dll" --addr=127.0.0.1:$pp --http-addr=127.0.0.1:$pa --fillslots "$work/slots.json" ${PROXY_ARGS:-} >"$work/proxy.log" 2>&1 &
pids+=($!); proxy_pid=$!
rd_pid=${pids[2]}
twemproxy_start "$work" "$tp" "$ts" "$r1" "$r2"
pids+=("$TWEMPROXY_PID"); twem_pid=$TWEMPROXY_PID
for p in $r1 $r2 $rd $pp $tp; do
  for _ in $(seq 200); do redis-cli -p "$p" set bench:ready 1 2>/dev/null | grep -q OK && break; sleep 0.1; done
done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # port pipeline pid -> csv lines: test,rps,...,cpu_us_per_request (CPU of that pid: the proxy, or redis-server direct)
  for t in ${TESTS//,/ }; do
    local before after line
    before=$(cpu "$3")
    line=$(redis-benchmark -p "$1" -c "$C" -n "$N" -P "$2" -r 100000 -t "$t" --csv 2>/dev/null | tail -n +2 | tr -d '"' | head -1 || true)
    after=$(cpu "$3")
    echo "$line,$(( (after - before) * 1000000 / $(getconf CLK_TCK) * 100 / N ))"
  done
}
echo "| test | -P | redis-server (direct) req/s | twemproxy req/s | codis-proxy req/s | ours / twemproxy | ours / direct | twemproxy CPU µs/req | codis-proxy CPU µs/req | direct redis CPU µs/req |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for P in 1 16; do
  # warm-up for the JIT, then the measured runs
  redis-benchmark -p "$pp" -c "$C" -n 50000 -P "$P" -r 100000 -t "$TESTS" -q >/dev/null 2>&1 || true
  d=$(run "$rd" "$P" "$rd_pid"); t=$(run "$tp" "$P" "$twem_pid"); o=$(run "$pp" "$P" "$proxy_pid")
  python3 - "$P" "$d" "$t" "$o" <<'PY'
import sys
P, d, t, o = sys.argv[1:5]
def rows(text):
    out = {}
    for line in text.splitlines():
        f = line.split(",")
        if len(f) >= 3:
            try: out[f[0]] = (float(f[1]), float(f[-1]) / 100)
            except ValueError: pass
    return out
dd, tt, oo = rows(d), rows(t), rows(o)
for test, (a, acpu) in dd.items():
    b, bcpu = tt.get(test, (0, 0))
    c, ccpu = oo.get(test, (0, 0))
    fmt = lambda v: f"{v:.0f}" if v else "error"
    ratio = lambda x, y: f"{x / y:.2f}" if x and y else "-"
    print(f"| {test} | {P} | {a:.0f} | {fmt(b)} | {fmt(c)} | {ratio(c, b)} | {ratio(c, a)} | {bcpu:.2f} | {ccpu:.2f} | {acpu:.2f} |")
PY
done
