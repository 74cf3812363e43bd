#!/usr/bin/env bash
# Semi-async migration of a slot holding a hash and a sorted set of N elements each (plus a key of every other
# type) between two codis-servers, while clients keep reading and writing every key the way a semi-async proxy does
# (SLOTSMGRT-EXEC-WRAPPER on the source; "absent" → the target; "being migrated" → retry).
# usage: bench/big-migration.sh [elements=1000000] [maxbulks=200]   (PERF=source|target: perf profile of that server; BIN=dir: run the codis-server.dll published there)
# Prints the migration time, each client's largest and p99 wait (retries included), a PING probe's largest wait on
# both servers, and the source's own figure: the longest it held the keyspace lock in one migration step.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
MAXBULKS=${2:-200}
command -v redis-cli >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools)"; exit 1; }

# shellcheck source=lib/two-servers.sh
. bench/lib/two-servers.sh
start_two_servers

if [ -n "${PERF:-}" ]; then
  ppid=$apid; [ "$PERF" = target ] && ppid=$bpid
  perf record -q -F 999 -g -p "$ppid" -o "$work/perf.data" 2>/dev/null &
  perfpid=$!
fi
PYTHONPATH=bench/lib python3 - "$aport" "$bport" "$N" "$MAXBULKS" "$work" <<'PY'
import json, os, socket, subprocess, sys, time
from multiprocessing import Process, Queue

aport, bport, N, maxbulks, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

from benchresp import Conn as RaisingConn, enc

def Conn(port):
    """Error replies come back as Exception objects: the clients count them."""
    return RaisingConn(port, raise_errors=False)

# Keys: slot 777 (Codis: CRC-32 of the key, or of its hash tag, mod 1024). Find hash tags that land there.
import zlib
SLOT = 777
def tag(prefix):
    n = 0
    while zlib.crc32(f"{prefix}{n}".encode()) % 1024 != SLOT: n += 1
    return f"{prefix}{n}"
big_hash, big_zset = "{%s}big-hash" % tag("h"), "{%s}big-zset" % tag("z")
t = tag("s")
small = {k: "{%s}%s" % (t, k) for k in ("string", "list", "set", "hash", "zset", "hll")}

# Load with redis-cli --pipe.
def load():
    path = os.path.join(work, "load.resp")
    with open(path, "wb") as f:
        for i in range(0, N, 1000):
            args = ["HSET", big_hash]
            for j in range(i, min(N, i + 1000)): args += [f"f:{j}", f"v:{j}"]
            f.write(enc(args))
            args = ["ZADD", big_zset]
            for j in range(i, min(N, i + 1000)): args += [str(j * 0.5), f"m:{j}"]
            f.write(enc(args))
        f.write(enc(["SET", small["string"], "s0"]))
        f.write(enc(["RPUSH", small["list"]] + [f"l:{i}" for i in range(5000)]))
        f.write(enc(["SADD", small["set"]] + [f"s:{i}" for i in range(5000)]))
        f.write(enc(["HSET", small["hash"]] + sum([[f"f:{i}", f"v:{i}"] for i in range(50)], [])))
        f.write(enc(["ZADD", small["zset"]] + sum([[str(i), f"m:{i}"] for i in range(50)], [])))
        f.write(enc(["PFADD", small["hll"]] + [f"e:{i}" for i in range(3000)]))
    t0 = time.time()
    subprocess.run(["redis-cli", "-p", str(aport), "--pipe"], stdin=open(path, "rb"), check=True, stdout=subprocess.DEVNULL)
    return time.time() - t0

def proxy_call(src, dst, args, stats):
    t0 = time.perf_counter()
    while True:
        w = src.call("SLOTSMGRT-EXEC-WRAPPER", args[1], *args)
        code = w[0]
        if code == 2: reply = w[1]; stats["forwarded"] += 1; break
        if code == 0: reply = dst.call(*args); break
        assert code == 1, w
        stats["retries"] += 1
        if stats["retries"] % 5 == 0: time.sleep(0.001)
    ms = (time.perf_counter() - t0) * 1000
    stats["waits"].append(ms)
    assert not isinstance(reply, Exception), (args, reply)
    return reply

def client(kind, q, stopfile):
    src, dst = Conn(aport), Conn(bport)
    stats = {"kind": kind, "forwarded": 0, "retries": 0, "waits": [], "new": 0, "znew": 0}
    import random
    rnd = random.Random(kind)
    n = 0
    while not os.path.exists(stopfile):
        n += 1
        i = rnd.randrange(N)
        if kind == "big keys":
            op = n % 4
            if op == 0: assert proxy_call(src, dst, ["HSET", big_hash, f"{kind}:{os.getpid()}:{n}", n], stats) == 1; stats["new"] += 1
            elif op == 1: proxy_call(src, dst, ["HGET", big_hash, f"f:{i}"], stats)
            elif op == 2: assert proxy_call(src, dst, ["ZADD", big_zset, n, f"{kind}:{os.getpid()}:{n}"], stats) == 1; stats["znew"] += 1
            else: proxy_call(src, dst, ["ZSCORE", big_zset, f"m:{i}"], stats)
        elif kind == "other keys":
            op = n % 6
            if op == 0: proxy_call(src, dst, ["SET", small["string"], f"s{n}"], stats)
            elif op == 1: proxy_call(src, dst, ["RPUSH", small["list"], f"x{n}"], stats)
            elif op == 2: proxy_call(src, dst, ["SADD", small["set"], f"x{n}"], stats)
            elif op == 3: proxy_call(src, dst, ["HSET", small["hash"], f"x{n % 100}", n], stats)
            elif op == 4: proxy_call(src, dst, ["ZADD", small["zset"], n, f"x{n % 100}"], stats)
            else: proxy_call(src, dst, ["PFADD", small["hll"], f"x{n}"], stats)
        else:  # PING probes: pure responsiveness of each server
            port = aport if kind == "ping source" else bport
            c = src if port == aport else dst
            t0 = time.perf_counter(); c.call("PING"); stats["waits"].append((time.perf_counter() - t0) * 1000)
            time.sleep(0.001)
    w = sorted(stats["waits"])
    q.put({"kind": kind, "requests": len(w), "forwarded": stats["forwarded"], "retries": stats["retries"], "new": stats["new"], "znew": stats["znew"],
           "max": w[-1] if w else 0, "p99": w[int(len(w) * 0.99)] if w else 0})

secs = load()
a = Conn(aport)
assert a.call("HLEN", big_hash) == N and a.call("ZCARD", big_zset) == N
print(f"loaded {N} + {N} elements and 6 small keys in {secs:.1f} s")

def run_clients(phase, seconds=None):
    """Runs the clients during a fixed time (baseline, no migration) or during the migration."""
    stopfile = os.path.join(work, "stop-" + phase)
    q = Queue()
    procs = [Process(target=client, args=(k, q, stopfile)) for k in ("big keys", "other keys", "ping source", "ping target")]
    for p in procs: p.start()
    time.sleep(0.5)
    load = os.getloadavg()[0]
    t0 = time.time(); batches = 0
    if seconds: time.sleep(seconds)
    else:
        while True:
            r = a.call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", bport, 5000, maxbulks, 33554432, SLOT, 500)
            assert isinstance(r, list), r
            batches += 1
            if r[1] == 0: break
    elapsed = time.time() - t0
    time.sleep(0.3)
    open(stopfile, "w").close()
    results = [q.get() for _ in procs]
    for p in procs: p.join()
    return elapsed, batches, load, results

def gc_pauses(conn):
    """The server's longest GC pauses since the last CONFIG RESETSTAT (INFO memory, ms)."""
    info = dict(l.split(":", 1) for l in conn.call("INFO", "memory").splitlines() if l.startswith("gc_pause_max") or l.startswith("gc_full"))
    return ", ".join(f"{k.replace('gc_pause_max_', '').replace('_ms', '')} {v.strip()}" for k, v in info.items())

def reset_stats():
    for p in (aport, bport):
        c = Conn(p)
        c.call("CONFIG", "RESETSTAT")
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        c.call("SLOWLOG", "RESET")

def gc_line():
    print(f"longest GC pauses (ms): source {gc_pauses(Conn(aport))}; target {gc_pauses(Conn(bport))}")
    for name, port in (("source", aport), ("target", bport)):
        c = Conn(port)
        slow = c.call("SLOWLOG", "GET", "5")
        c.call("SLOWLOG", "RESET")
        if slow: print(f"  {name} slowest commands (µs): " + "; ".join(f"{e[2]} {' '.join(str(x) for x in e[3][:2])}" for e in slow))

def table(title, results):
    print(title)
    print("| client | requests | run by the source | retries | largest wait ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: r["kind"]):
        print(f"| {r['kind']} | {r['requests']} | {r['forwarded']} | {r['retries']} | {r['max']:.1f} | {r['p99']:.2f} |")

reset_stats()
_, _, load_base, base = run_clients("baseline", seconds=4)
table(f"baseline: the same clients for 4 s without migration (load average {load_base:.1f}, 2 cores)", base)
gc_line()
reset_stats()
migration, batches, load_before, results = run_clients("migration")
b = Conn(bport)
print(f"migrated slot {SLOT} in {migration:.2f} s ({batches} batches, maxbulks {maxbulks}); machine load average {load_before:.1f} → {os.getloadavg()[0]:.1f} (2 cores)")
added = sum(r["new"] for r in base + results); zadded = sum(r["znew"] for r in base + results)
hlen, zcard = b.call("HLEN", big_hash), b.call("ZCARD", big_zset)
print(f"source keys left: {a.call('DBSIZE')}; target: {b.call('DBSIZE')} keys, HLEN {hlen}, ZCARD {zcard} (expected {N + added} and {N + zadded}: nothing lost)")
assert a.call("DBSIZE") == 0 and hlen == N + added and zcard == N + zadded
table("during the migration:", results)
gc_line()
PY
echo "source's migration batches (longest step = longest hold of the keyspace lock, wall and CPU; GCs during it):"
grep -h "batch ended" "$work/a.log" | sed 's/^/  /'
if [ -n "${PERF:-}" ]; then
  kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null || true
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -E "^ +[0-9]" | head -40
fi
