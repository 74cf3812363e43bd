#!/usr/bin/env bash
# Memory per key: 1,000,000 keys of 16 bytes with 16-byte values, loaded with redis-cli --pipe into Debian's
# redis-server and into codis-server in the same run. Prints INFO memory used_memory and the RSS (/proc/<pid>/status
# VmRSS) before and after, per key, and the ratio ours/redis.
# usage: bench/memory-per-key.sh [keys=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
command -v redis-cli >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools redis-server)"; exit 1; }

dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
work=$(mktemp -d)
rport=$((20000 + RANDOM % 10000)); cport=$((rport + 1))
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!
dotnet bin/codis-server.dll --port "$cport" --dir "$work" >"$work/codis.log" 2>&1 &
cpid=$!
trap 'kill $rpid $cpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for p in $rport $cport; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done

# key:000000000001 (16 bytes) -> val:000000000001 (16 bytes)
python3 - "$N" >"$work/load.resp" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(n):
    out.write("*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nval:%012d\r\n" % (i, i))
PY

used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
rss() { awk '/^VmRSS:/{print $2 * 1024}' "/proc/$1/status"; }

declare -A before_used before_rss after_used after_rss
for name in redis codis; do
  if [ $name = redis ]; then port=$rport; pid=$rpid; else port=$cport; pid=$cpid; fi
  before_used[$name]=$(used $port); before_rss[$name]=$(rss $pid)
  redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null
  [ "$(redis-cli -p "$port" dbsize)" = "$N" ] || { echo "$name: dbsize is not $N"; exit 1; }
  sleep 3   # let the garbage of the load be collected before measuring
  after_used[$name]=$(used $port); after_rss[$name]=$(rss $pid)
done

python3 - "$N" "${before_used[redis]}" "${after_used[redis]}" "${before_rss[redis]}" "${after_rss[redis]}" \
  "${before_used[codis]}" "${after_used[codis]}" "${before_rss[codis]}" "${after_rss[codis]}" <<'PY'
import sys
n = int(sys.argv[1]); v = [int(x) for x in sys.argv[2:]]
ru, rr, cu, cr = (v[1]-v[0])/n, (v[3]-v[2])/n, (v[5]-v[4])/n, (v[7]-v[6])/n
print("| measure | redis-server bytes/key | codis-server bytes/key | ratio ours/redis |")
print("|---|---|---|---|")
print(f"| INFO used_memory | {ru:.1f} | {cu:.1f} | {cu/ru:.2f} |")
print(f"| RSS (VmRSS) | {rr:.1f} | {cr:.1f} | {cr/rr:.2f} |")
print(f"(totals after load: redis used_memory {v[1]/2**20:.1f} MiB, RSS {v[3]/2**20:.1f} MiB; codis used_memory {v[5]/2**20:.1f} MiB, RSS {v[7]/2**20:.1f} MiB)")
PY
