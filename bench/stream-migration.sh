#!/usr/bin/env bash
# Semi-async migration of a slot holding one big stream (N entries, two consumer groups with pending entries, some
# entries deleted) between two codis-servers, while a PING probe measures each server's longest pause and a writer
# keeps adding, acknowledging and deleting entries through SLOTSMGRT-EXEC-WRAPPER (each write is mirrored directly on
# a copy of the stream in another slot of the source, so the target's DUMP can be compared with the mirror's).
# usage: bench/stream-migration.sh [entries=1000000] [maxbulks=200]   (BIN=dir: run the codis-server.dll published there;
#        PENDING=n: entries delivered to group g1's four consumers, default entries/5; g2 always has 1000;
#        WARMUP=0: skip the warm-up, a 5,000-entry stream of another slot migrated first so the code is compiled)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
MAXBULKS=${2:-200}
command -v redis-cli >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools)"; exit 1; }

# shellcheck source=lib/two-servers.sh
. bench/lib/two-servers.sh
start_two_servers

PYTHONPATH=bench/lib python3 - "$aport" "$bport" "$N" "$MAXBULKS" "$work" <<'PY'
import hashlib, os, subprocess, sys, time, zlib
from multiprocessing import Process, Queue
from benchresp import Conn, enc

aport, bport, N, maxbulks, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
SLOT = 777
def tag(prefix, slot):
    n = 0
    while zlib.crc32(f"{prefix}{n}".encode()) % 1024 != slot: n += 1
    return f"{prefix}{n}"
key = "{%s}big-stream" % tag("x", SLOT)
mirror = "{%s}mirror" % tag("m", 100)

path = os.path.join(work, "load.resp")
with open(path, "wb") as f:
    for i in range(1, N + 1):
        f.write(enc(["XADD", key, f"{i}-0", "sensor", i % 97, "value", f"v:{i}"]))
    f.write(enc(["XGROUP", "CREATE", key, "g1", "0"]))
    f.write(enc(["XGROUP", "CREATE", key, "g2", "0"]))
    for i in range(1, N // 10, 13): f.write(enc(["XDEL", key, f"{i}-0"]))
t0 = time.time()
subprocess.run(["redis-cli", "-p", str(aport), "--pipe"], stdin=open(path, "rb"), check=True, stdout=subprocess.DEVNULL)
a = Conn(aport)
pending = int(os.environ.get("PENDING", N // 5))
for c in range(4):
    if pending // 4 > 0: a.call("XREADGROUP", "GROUP", "g1", f"c{c}", "COUNT", pending // 4, "STREAMS", key, ">")
a.call("XREADGROUP", "GROUP", "g2", "c9", "COUNT", 1000, "STREAMS", key, ">")
a.call("COPY", key, mirror)
print(f"loaded a stream of {a.call('XLEN', key)} entries, {a.call('XPENDING', key, 'g1')[0]} pending in g1, in {time.time() - t0:.1f} s")

def client(kind, q, stopfile):
    src, dst = Conn(aport, raise_errors=False), Conn(bport, raise_errors=False)
    waits, n, forwarded = [], 0, 0
    while not os.path.exists(stopfile):
        n += 1
        t0 = time.perf_counter()
        if kind == "writer":
            # XADD *, XACK, XDEL on the migrating stream, mirrored with the concrete ID on the copy.
            op = n % 3
            if op == 0: args = ["XADD", key, "*", "w", n]
            elif op == 1: args = ["XACK", key, "g1", f"{N // 20 * 2 + n}-0"]
            else: args = ["XDEL", key, f"{N // 2 + n}-0"]
            w = src.call("SLOTSMGRT-EXEC-WRAPPER", key, *args)
            if w[0] == 0: r = dst.call(*args)
            else:
                assert w[0] == 2, w
                r = w[1]
                forwarded += 1
            assert not isinstance(r, Exception), (args, r)
            if op == 0: args[2] = r
            src.call(*([args[0], mirror] + args[2:]))
        else:
            c = src if kind == "ping source" else dst
            c.call("PING")
        waits.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.001)
    waits.sort()
    q.put({"kind": kind, "requests": len(waits), "forwarded": forwarded, "max": waits[-1] if waits else 0, "p99": waits[int(len(waits) * 0.99)] if waits else 0})

for port in (aport, bport):
    c = Conn(port)
    c.call("CONFIG", "RESETSTAT")
    c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    c.call("SLOWLOG", "RESET")
if os.environ.get("WARMUP", "1") != "0":
    warm = "{%s}warm-up" % tag("w", 778)
    subprocess.run(["redis-cli", "-p", str(aport), "--pipe"], input=b"".join(enc(["XADD", warm, f"{i}-0", "f", i]) for i in range(1, 5001))
                   + enc(["XGROUP", "CREATE", warm, "g", "0"]) + enc(["XREADGROUP", "GROUP", "g", "c", "COUNT", 500, "STREAMS", warm, ">"]),
                   check=True, stdout=subprocess.DEVNULL)
    while a.call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", bport, 5000, maxbulks, 33554432, 778, 100)[1] != 0: pass
stopfile = os.path.join(work, "stop")
q = Queue()
procs = [Process(target=client, args=(k, q, stopfile)) for k in ("ping source", "ping target", "writer")]
for p in procs: p.start()
time.sleep(0.5)
t0 = time.time(); batches = 0
while True:
    r = a.call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", bport, 5000, maxbulks, 33554432, SLOT, 100)
    assert isinstance(r, list), r
    batches += 1
    if r[1] == 0: break
elapsed = time.time() - t0
time.sleep(0.3)
open(stopfile, "w").close()
results = [q.get() for _ in procs]
for p in procs: p.join()
print(f"migrated slot {SLOT} in {elapsed:.2f} s ({batches} batches, maxbulks {maxbulks}), machine load average {os.getloadavg()[0]:.1f} (2 cores)")
print("| client | requests | largest wait ms | p99 ms |")
print("|---|---|---|---|")
for r in sorted(results, key=lambda r: r["kind"]):
    extra = f" ({r['forwarded']} forwarded)" if r["kind"] == "writer" else ""
    print(f"| {r['kind']}{extra} | {r['requests']} | {r['max']:.1f} | {r['p99']:.2f} |")

for name, port in (("source", aport), ("target", bport)):
    c = Conn(port)
    info = dict(l.split(":", 1) for l in c.call("INFO", "memory").splitlines() if l.startswith("gc_pause_max"))
    slow = c.call("SLOWLOG", "GET", "3")
    print(f"{name}: longest GC pauses (ms) {', '.join(f'{k[13:]} {v.strip()}' for k, v in info.items())}; slowest commands (µs): "
          + ("; ".join(f"{e[2]} {' '.join(str(x) for x in e[3][:2])}" for e in slow) or "none over 10 ms"))

def dump(port, k):
    out = subprocess.run(["redis-cli", "-p", str(port), "--no-raw", "DUMP", k], check=True, capture_output=True).stdout
    return hashlib.sha1(out).hexdigest()
same = dump(bport, key) == dump(aport, mirror)
print(f"target DUMP equals the source mirror's: {same}; source still holds the key: {a.call('EXISTS', key)}")
if not same:
    b = Conn(bport)
    for args in (["XINFO", "STREAM"], ["XINFO", "GROUPS"], ["XPENDING"]):
        x, y = a.call(*(args[:2] + [mirror] + args[2:]) if args[0] == "XINFO" else [args[0], mirror, "g1"]), b.call(*(args[:2] + [key] + args[2:]) if args[0] == "XINFO" else [args[0], key, "g1"])
        if x != y: print(f"{args}: mirror {x}\n   target {y}")
assert same
PY
echo "source's migration batches (longest step = longest hold of the keyspace lock):"
grep -h "batch ended" "$work/a.log" | sed 's/^/  /'
