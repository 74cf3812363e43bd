#!/usr/bin/env bash
# What one request costs the server, in figures that hold up on a busy machine (unlike requests/s):
# CPU µs per request (perf's task-clock; the user/system split from /proc/<pid>/stat, 10 ms ticks), syscalls and context switches per request
# (perf stat, software events: they need no hardware counters) and, for codis-server, bytes allocated per
# request (INFO memory gc_total_allocated_bytes).
# usage: bench/server-cost.sh [requests=200000] [clients=50]
#   env: TESTS=set,get,incr,mset PIPELINES="1 16" ROUNDS=3 SERVERS="codis redis"
#        NOBUILD=1 (use the published server as it is) BIN=dir (where codis-server.dll is; default bin/)
#        CODIS_ARGS="--event-loop yes" (more codis-server flags)
#   TESTS may also name xadd: XADD bench:s:<random of 100,000> * f v (redis-benchmark has no built-in XADD test)
# Each figure is the minimum over ROUNDS runs (noise from other processes only ever adds).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
C=${2:-50}
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-1 16}
ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-codis redis}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools"; exit 1; }
command -v perf >/dev/null || { echo "needs perf (apt-get install -y linux-perf)"; exit 1; }

[ -n "${NOBUILD:-}" ] || dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
start() { # kind port -> pid
  if [ "$1" = redis ]; then
    redis-server --port "$2" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no >"$work/$1.log" 2>&1 &
  else
    # shellcheck disable=SC2086
    dotnet "${BIN:-bin}/codis-server.dll" --port "$2" --save "" --appendonly no --dir "$work" ${CODIS_ARGS:-} >"$work/$1.log" 2>&1 &
  fi
  echo $!
}
TICK=$(getconf CLK_TCK)
what() { # test -> the redis-benchmark arguments that run it
  case "$1" in
    xadd) what=(-r 100000 XADD 'bench:s:__rand_int__' '*' f v) ;;
    *) what=(-t "$1") ;;
  esac
}
alloc() { redis-cli -p "$1" info memory | awk -F: '/^gc_total_allocated_bytes/ {print $2+0} END {}' | tr -d '\r'; }
measure() { # kind port pid pipeline test -> "user sys syscalls ctxsw bytes" per request
  local a0 a1 s0 s1 out
  a0=$(alloc "$2"); a0=${a0:-0}
  s0=$(awk '{print $14, $15}' "/proc/$3/stat")
  what "$5"
  out=$(perf stat -x, -e task-clock,raw_syscalls:sys_enter,context-switches -p "$3" -- \
        redis-benchmark -p "$2" -c "$C" -n "$N" -P "$4" -q "${what[@]}" 2>&1 >/dev/null | grep -E 'task-clock|sys_enter|context-switches' || true)
  s1=$(awk '{print $14, $15}' "/proc/$3/stat")
  a1=$(alloc "$2"); a1=${a1:-0}
  python3 - "$N" "$TICK" "$s0" "$s1" "$a0" "$a1" "$out" <<'PY'
import sys
n, tick = int(sys.argv[1]), int(sys.argv[2])
u0, y0 = map(int, sys.argv[3].split()); u1, y1 = map(int, sys.argv[4].split())
a0, a1 = int(sys.argv[5]), int(sys.argv[6])
counts = {}
for line in sys.argv[7].splitlines():
    f = line.split(",")
    try: counts[f[2]] = float(f[0])
    except (ValueError, IndexError): pass
sc = counts.get("raw_syscalls:sys_enter", 0); cs = counts.get("context-switches", 0)
ms = counts.get("task-clock", 0)  # msec of CPU, precise (the /proc ticks are 10 ms)
print(f"{(u1-u0)*1e6/tick/n:.2f} {(y1-y0)*1e6/tick/n:.2f} {sc/n:.2f} {cs/n:.3f} {(a1-a0)/n:.1f} {ms*1e3/n:.3f}")
PY
}

declare -A port pid
base=$((20000 + RANDOM % 10000))
for s in $SERVERS; do
  port[$s]=$base; base=$((base + 1))
  pid[$s]=$(start "$s" "${port[$s]}"); pids+=("${pid[$s]}")
done
for s in $SERVERS; do for _ in $(seq 100); do redis-cli -p "${port[$s]}" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
for s in $SERVERS; do for t in ${TESTS//,/ }; do what "$t"; redis-benchmark -p "${port[$s]}" -c "$C" -n 100000 -P 16 -q "${what[@]}" >/dev/null 2>&1; done; done # JIT warm-up

echo "requests per run: $N, clients: $C, minimum of $ROUNDS runs"
echo "| server | test | -P | user µs/req | sys µs/req | CPU µs/req (task-clock) | syscalls/req | ctx switches/req | bytes allocated/req |"
echo "|---|---|---|---|---|---|---|---|---|"
for P in $PIPELINES; do
  for t in ${TESTS//,/ }; do
    for s in $SERVERS; do
      rows=""
      for _ in $(seq "$ROUNDS"); do rows+="$(measure "$s" "${port[$s]}" "${pid[$s]}" "$P" "$t")"$'\n'; done
      python3 - "$s" "$t" "$P" "$rows" <<'PY'
import sys
s, t, P, rows = sys.argv[1:5]
runs = [list(map(float, l.split())) for l in rows.splitlines() if l.strip()]
m = [min(c) for c in zip(*runs)]
cpu = m[5]
alloc = "-" if s == "redis" else f"{m[4]:.1f}"
print(f"| {s} | {t.upper()} | {P} | {m[0]:.2f} | {m[1]:.2f} | {cpu:.2f} | {m[2]:.2f} | {m[3]:.3f} | {alloc} |")
PY
    done
  done
done
