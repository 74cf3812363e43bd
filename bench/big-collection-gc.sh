#!/usr/bin/env bash
# GC cost of big collections: loads a sorted set, a hash and a set of N elements each (ZADD/HSET/SADD of 1,000
# elements per command, redis-cli --pipe) into one codis-server, then migrates their slot to a second one
# (SLOTSMGRTTAGSLOT-ASYNC, the dashboard's defaults) with no other client than a PING probe on the target.
# After each phase it prints that server's GC figures from INFO memory (reset with CONFIG RESETSTAT before it): the
# longest ephemeral (gen0/gen1) pause, the collections of each generation during the phase, the total pause time,
# and used_memory. These are robust on a loaded machine (allocation and survival do not depend on the load; the
# pause durations do, somewhat).
# usage: bench/big-collection-gc.sh [elements=1000000]   (BIN=dir: run the codis-server.dll published there instead)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
command -v redis-cli >/dev/null || { echo "needs redis-tools (apt-get install -y redis-tools)"; exit 1; }

# shellcheck source=lib/two-servers.sh
. bench/lib/two-servers.sh
start_two_servers

PYTHONPATH=bench/lib python3 - "$aport" "$bport" "$N" "$work" "$apid" "$bpid" <<'PY'
import os, socket, subprocess, sys, threading, time, zlib
aport, bport, N, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pids = {aport: int(sys.argv[5]), bport: int(sys.argv[6])}

from benchresp import Conn, enc, cpu as cpu_of

def cpu(port):
    return cpu_of(pids[port])

SLOT = 777
n = 0
while zlib.crc32(f"g{n}".encode()) % 1024 != SLOT: n += 1
zset, hash_, set_ = "{g%d}zset" % n, "{g%d}hash" % n, "{g%d}set" % n
a, b = Conn(aport), Conn(bport)

def info(c):
    d = dict(l.split(":", 1) for l in c.call("INFO", "memory").splitlines() if ":" in l)
    out = {}
    for k, v in d.items():
        try: out[k] = float(v)
        except ValueError: pass
    return out

def phase(name, c, run, port):
    c.call("CONFIG", "RESETSTAT")
    time.sleep(0.25)  # the cron samples pauses every 100 ms
    c.call("CONFIG", "RESETSTAT")
    before = info(c)
    t0 = time.time(); c0 = cpu(port); extra = run(); secs = time.time() - t0; c1 = cpu(port)
    time.sleep(0.25)
    after = info(c)
    g = lambda k: int(after[k] - before[k])
    print(f"| {name} | {secs:.2f} | {c1 - c0:.2f} | {after['gc_pause_max_ephemeral_ms']:.1f} | {after['gc_pause_max_background_ms']:.1f} / "
          f"{after['gc_pause_max_full_blocking_ms']:.1f} | {g('gc_collections_gen0')} / {g('gc_collections_gen1')} / {g('gc_collections_gen2')} | "
          f"{g('gc_pause_total_ms')} | {after['used_memory'] / 1e6:.0f} MB | {extra or ''} |")

def pipe(cmd, key, make):
    path = os.path.join(work, "load.resp")
    with open(path, "wb") as f:
        for i in range(0, N, 1000):
            args = [cmd, key]
            for j in range(i, min(N, i + 1000)): args += make(j)
            f.write(enc(args))
    def run():
        subprocess.run(["redis-cli", "-p", str(aport), "--pipe"], stdin=open(path, "rb"), check=True, stdout=subprocess.DEVNULL)
    return run

print(f"load average {os.getloadavg()[0]:.1f} (2 cores); N = {N}")
print("| phase | seconds | server CPU s | longest ephemeral pause ms | longest background / full pause ms | collections gen0 / gen1 / gen2 | total pause ms | used_memory | PING target max ms |")
print("|---|---|---|---|---|---|---|---|---|")
phase(f"source: ZADD {N} members", a, pipe("ZADD", zset, lambda j: [str(j * 0.5), f"m:{j}"]), aport)
phase(f"source: HSET {N} fields", a, pipe("HSET", hash_, lambda j: [f"f:{j}", f"v:{j}"]), aport)
phase(f"source: SADD {N} members", a, pipe("SADD", set_, lambda j: [f"s:{j}"]), aport)
assert a.call("ZCARD", zset) == N and a.call("HLEN", hash_) == N and a.call("SCARD", set_) == N

def migrate():
    stop = False; worst = [0.0]
    def probe():
        p = Conn(bport)
        while not stop:
            t0 = time.perf_counter(); p.call("PING"); worst[0] = max(worst[0], (time.perf_counter() - t0) * 1000)
            time.sleep(0.001)
    t = threading.Thread(target=probe); t.start()
    while a.call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", bport, 5000, 200, 33554432, SLOT, 500)[1] != 0: pass
    stop = True; t.join()
    return f"{worst[0]:.1f}"
phase("target: migration of the slot", b, migrate, bport)
assert b.call("ZCARD", zset) == N and b.call("HLEN", hash_) == N and b.call("SCARD", set_) == N and a.call("DBSIZE") == 0
PY
