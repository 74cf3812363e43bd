#!/usr/bin/env bash
# Persistence and replication figures of codis-server against Debian's redis-server, in the same run:
#   1. SET throughput with appendonly yes + appendfsync everysec (redis-benchmark, -P 1 and -P 16)
#   2. full-resync time of N keys (default 1,000,000): from REPLICAOF to master_link_status:up on a fresh replica
#   3. the longest time a snapshot held codis-server's keyspace lock (INFO persistence rdb_longest_snapshot_pause_ms)
# usage: bench/persistence-bench.sh [keys=1000000] [requests=200000] [clients=50]
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-1000000}
N=${2:-200000}
C=${3:-50}
command -v redis-benchmark >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools redis-server)"; exit 1; }
dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
base=$((20000 + RANDOM % 10000))
wait_port() { for _ in $(seq 300); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
start_redis() { mkdir -p "$work/$1"; redis-server --port "$1" --bind 127.0.0.1 --save "" --dir "$work/$1" --repl-diskless-sync-delay 0 "${@:2}" >"$work/$1.log" 2>&1 & pids+=($!); wait_port "$1"; }
start_codis() { mkdir -p "$work/$1"; dotnet bin/codis-server.dll --port "$1" --save "" --dir "$work/$1" "${@:2}" >"$work/$1.log" 2>&1 & pids+=($!); wait_port "$1"; }
rps() { redis-benchmark -p "$1" -c "$C" -n "$N" -P "$2" -t set -r 100000 --csv 2>/dev/null | tail -n +2 | tr -d '"' | cut -d, -f2; }

echo "| measurement | redis-server | codis-server | ratio (codis/redis) |"
echo "|---|---|---|---|"

# 1. SET with the AOF on, everysec.
start_redis $base --appendonly yes --appendfsync everysec
start_codis $((base + 1)) --appendonly yes --appendfsync everysec
redis-benchmark -p $((base + 1)) -c "$C" -n 50000 -t set -q >/dev/null 2>&1 || true # JIT warm-up
for P in 1 16; do
  r=$(rps $base $P); o=$(rps $((base + 1)) $P)
  python3 -c "import sys; r,o=float(sys.argv[1]),float(sys.argv[2]); print(f'| SET req/s, appendonly yes everysec, -P {sys.argv[3]}, {sys.argv[4]} clients | {r:.0f} | {o:.0f} | {o/r:.2f} |')" "$r" "$o" "$P" "$C"
done

# 2. Full resync of KEYS keys (20-byte values), master and replica of the same kind.
python3 - "$KEYS" >"$work/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); out = sys.stdout
val = "v" * 20
for i in range(0, n, 1000):
    args = ["MSET"]
    for j in range(i, min(n, i + 1000)): args += [f"key:{j:08d}", val]
    out.write(f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args))
PY
resync() { # master_port replica_port -> seconds
  redis-cli -p "$1" --pipe <"$work/load.resp" >/dev/null
  local t0; t0=$(date +%s.%N)
  redis-cli -p "$2" replicaof 127.0.0.1 "$1" >/dev/null
  until redis-cli -p "$2" info replication | grep -q "master_link_status:up"; do sleep 0.05; done
  local t1; t1=$(date +%s.%N)
  [ "$(redis-cli -p "$2" dbsize)" = "$KEYS" ] || { echo "replica has $(redis-cli -p "$2" dbsize) keys, expected $KEYS"; exit 1; }
  python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1"
}
start_redis $((base + 2)); start_redis $((base + 3))
start_codis $((base + 4)); start_codis $((base + 5))
r=$(resync $((base + 2)) $((base + 3)))
o=$(resync $((base + 4)) $((base + 5)))
python3 -c "import sys; r,o=float(sys.argv[1]),float(sys.argv[2]); print(f'| full resync of {int(sys.argv[3]):,} keys (s, lower is better) | {r:.2f} | {o:.2f} | {o/r:.2f} |')" "$r" "$o" "$KEYS"

# 3. The snapshot pause on the codis master (the full sync took one; take a BGSAVE too).
redis-cli -p $((base + 4)) bgsave >/dev/null
sleep 1
until redis-cli -p $((base + 4)) info persistence | grep -q "rdb_bgsave_in_progress:0"; do sleep 0.1; done
pause=$(redis-cli -p $((base + 4)) info persistence | grep rdb_longest_snapshot_pause_ms | cut -d: -f2 | tr -d '\r')
echo "| longest keyspace-lock pause of a snapshot with $KEYS keys (ms) | (fork) | $pause | - |"
