#!/usr/bin/env bash
# CPU cost per key of semi-async slot migration between two codis-servers (no dashboard, no proxy), a figure that
# holds on a loaded machine: CPU µs per moved key on the source and on the target (user+system time from
# /proc/<pid>/stat), plus the wall-clock keys/s.
# usage: bench/async-migration-cost.sh [keys=1000000] [numkeys=1000] [callers=1]
#        PERF=source|target also samples that server with perf (JIT symbols via DOTNET_PerfMapEnabled) and prints
#        the top functions (PERF_DATA=file keeps the samples for perf report).
#        WARM=n first moves slots 512..511+n unmeasured (n ≤ 512), so the measured slots run JIT-compiled code (the
#        figure of a server that migrated before); without it the figure includes the JIT's warm-up (≈1 s of CPU).
#        BIN=dir runs the codis-server published in dir (e.g. an unchanged build, for before/after runs) instead of
#        publishing this tree to bin/.
# KEYS string keys (key:%012d, 16-byte values) over all 1024 slots on the source; slots 0-511 (≈KEYS/2 keys) are
# moved with SLOTSMGRTTAGSLOT-ASYNC 127.0.0.1 <target> 5000 200 33554432 <slot> NUMKEYS until each is empty, by
# CALLERS connections taking slots in turn (a source runs one batch per database at a time: the others are told
# "being migrated" and retry, as the dashboard's parallel slots do).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
NUMKEYS=${2:-1000}
CALLERS=${3:-1}
command -v redis-cli >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools)"; exit 1; }
if [ -z "${BIN:-}" ]; then
  dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null
  BIN=bin
fi
work=$(mktemp -d)
aport=$((20000 + RANDOM % 10000)); bport=$((aport + 1))
[ -n "${PERF:-}" ] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
"$BIN"/codis-server --port "$aport" --save "" --appendonly no --dir "$work" >"$work/a.log" 2>&1 &
apid=$!
"$BIN"/codis-server --port "$bport" --save "" --appendonly no --dir "$work" >"$work/b.log" 2>&1 &
bpid=$!
trap 'kill $apid $bpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for p in $aport $bport; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
python3 - "$N" >"$work/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); out = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i; v = b"val:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
redis-cli -p "$aport" --pipe <"$work/load.resp" >/dev/null
sleep 1.5   # let the source's idle compaction run before measuring
if [ "${WARM:-0}" -gt 0 ]; then
  PYTHONPATH=bench/lib python3 - "$aport" "$bport" "$WARM" <<'PY'
import sys
aport, bport, warm = map(int, sys.argv[1:])
from benchresp import Conn
a = Conn(aport)
for s in range(512, 512 + warm):
    while a.call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", bport, 5000, 200, 33554432, s, 1000)[1] != 0: pass
PY
  sleep 1.5   # let the background JIT finish its tier-1 compiles
fi
if [ -n "${PERF:-}" ]; then
  ppid=$apid; [ "$PERF" = target ] && ppid=$bpid
  perf record -q -F 999 -p "$ppid" -o "$work/perf.data" 2>/dev/null &
  perfpid=$!
fi
PYTHONPATH=bench/lib python3 - "$aport" "$bport" "$apid" "$bpid" "$NUMKEYS" "$CALLERS" <<'PY'
import os, socket, sys, threading, time
aport, bport, apid, bpid, numkeys, callers = map(int, sys.argv[1:])
from benchresp import Conn, cpu
a, b = Conn(aport), Conn(bport)
total, before = a.call("DBSIZE") + b.call("DBSIZE"), b.call("DBSIZE")
slots = list(range(512)); lock = threading.Lock(); calls = [0]
def worker():
    c = Conn(aport)
    while True:
        with lock:
            if not slots: return
            s = slots.pop(0)
        while True:
            try:
                r = c.call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", bport, 5000, 200, 33554432, s, numkeys)
            except Exception as e:
                if "being migrated" not in str(e): raise
                time.sleep(0.001); continue
            with lock: calls[0] += 1
            if r[1] == 0: break
def switches(pid):
    """Context switches of all the process's threads (voluntary + not)."""
    n = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{t}/status"):
                if "ctxt_switches" in line: n += int(line.split()[1])
        except FileNotFoundError:
            pass
    return n
sa, sb = switches(apid), switches(bpid)
ca, cb, t0 = cpu(apid), cpu(bpid), time.time()
ts = [threading.Thread(target=worker) for _ in range(callers)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.time() - t0
da, db = cpu(apid) - ca, cpu(bpid) - cb
wa, wb = switches(apid) - sa, switches(bpid) - sb
moved = b.call("DBSIZE") - before
assert a.call("DBSIZE") + b.call("DBSIZE") == total, "keys lost"
print(f"moved {moved} keys of {total} in {wall:.2f} s: {moved / wall:,.0f} keys/s ({calls[0]} calls, numkeys {numkeys}, {callers} callers, load {os.getloadavg()[0]:.1f})")
print(f"CPU per moved key: source {da * 1e6 / moved:.2f} µs, target {db * 1e6 / moved:.2f} µs")
print(f"context switches per 1000 keys: source {wa * 1000 / moved:.0f}, target {wb * 1000 / moved:.0f}")
PY
if [ -n "${PERF:-}" ]; then
  kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null || true
  [ -n "${PERF_DATA:-}" ] && cp "$work/perf.data" "$PERF_DATA"
  perf report -i "$work/perf.data" --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -8 || true
  perf report -i "$work/perf.data" --sort dso,symbol --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -45 || true
fi
