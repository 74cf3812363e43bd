#!/usr/bin/env bash
# Builds Codis.NET into bin/ and starts a whole local cluster on the embedded filesystem coordinator:
# one dashboard, one proxy, two groups of a master and a replica each, slots 0-511 on group 1 and 512-1023 on
# group 2, the proxy online. Data (AOF on) and the topology live in ./data/cluster, so a second start reuses them.
#
#   ./start.sh          build, start, print where to connect; Ctrl-C stops every process cleanly
#   ./start.sh stop     stop a cluster started by another ./start.sh (from its pid files)
#
# Ports (override with the environment): servers 6379 6380 (group 1) 6479 6480 (group 2), proxy 19000,
# proxy admin 11080, dashboard 18080. Everything binds to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
data=$root/data/cluster
run=$data/run
product=${PRODUCT:-codis-demo}
dash_addr=127.0.0.1:${DASHBOARD_PORT:-18080}
proxy_port=${PROXY_PORT:-19000}
proxy_admin=127.0.0.1:${PROXY_ADMIN_PORT:-11080}
g1=(${GROUP1_PORTS:-6379 6380})
g2=(${GROUP2_PORTS:-6479 6480})

stop_all() {
  [ -d "$run" ] || return 0
  # Proxy first (clients see a clean close), then the dashboard (it removes its lock), then the servers (AOF flush).
  for name in proxy dashboard $(cd "$run" && ls server-*.pid 2>/dev/null | sed 's/\.pid$//'); do
    f=$run/$name.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { echo "  $name ($pid) did not stop in 10 s: killing it"; kill -KILL "$pid" 2>/dev/null || true; }
    fi
    rm -f "$f"
  done
}

if [ "${1:-}" = "stop" ]; then
  stop_all
  echo "stopped"
  exit 0
fi

for f in "$run"/*.pid; do
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && { echo "a cluster is already running (pid file $f): ./start.sh stop"; exit 1; }
done

echo "building into bin/ ..."
for p in Server Proxy Dashboard Admin Config; do
  dotnet publish "src/Codis.$p" -c Release -o bin --nologo -v q >/dev/null
done

mkdir -p "$data/coordinator" "$data/logs" "$run"
trap 'echo; echo "stopping ..."; stop_all; echo "stopped"; exit 0' INT TERM

start() { # name, log, command...
  local name=$1 log=$2; shift 2
  "$@" >>"$data/logs/$log" 2>&1 &
  echo $! >"$run/$name.pid"
}

wait_port() { # port, what
  for _ in $(seq 300); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not open port $1: see $data/logs/"; stop_all; exit 1
}

for port in "${g1[@]}" "${g2[@]}"; do
  mkdir -p "$data/server-$port"
  start "server-$port" "server-$port.log" bin/codis-server --port "$port" --bind 127.0.0.1 \
    --dir "$data/server-$port" --appendonly yes --appendfsync everysec
done
for port in "${g1[@]}" "${g2[@]}"; do wait_port "$port" "codis-server"; done

start dashboard dashboard.log bin/codis-dashboard --filesystem="$data/coordinator" --product_name "$product" \
  --admin_addr "$dash_addr"
wait_port "${dash_addr#*:}" "codis-dashboard"

admin() { bin/codis-admin --dashboard="$dash_addr" "$@"; }

# A second start finds the topology in the coordinator and keeps it.
if ! admin --list-group 2>/dev/null | grep -q '"id"'; then
  admin --slots-init --force >/dev/null
  gid=1
  for group in "${g1[*]}" "${g2[*]}"; do
    set -- $group
    admin --create-group --gid=$gid >/dev/null
    admin --group-add --gid=$gid --addr=127.0.0.1:$1 --role=master >/dev/null
    admin --group-add --gid=$gid --addr=127.0.0.1:$2 --role=slave >/dev/null
    gid=$((gid + 1))
  done
  admin --slots-range --beg=0 --end=511 --gid=1 >/dev/null
  admin --slots-range --beg=512 --end=1023 --gid=2 >/dev/null
fi

start proxy proxy.log bin/codis-proxy --product_name "$product" --addr "127.0.0.1:$proxy_port" \
  --http-addr "$proxy_admin" --dashboard "$dash_addr"
wait_port "$proxy_port" "codis-proxy"
ping_proxy() { # bash's own TCP, so the start needs no redis-cli
  exec 3<>"/dev/tcp/127.0.0.1/$proxy_port" || return 1
  printf 'PING\r\n' >&3
  local line=""; read -r -t 2 line <&3 || true
  exec 3<&- 3>&-
  [ "${line%$'\r'}" = "+PONG" ]
}
for _ in $(seq 100); do ping_proxy 2>/dev/null && break; sleep 0.2; done
ping_proxy 2>/dev/null || echo "warning: the proxy does not answer PING yet; see $data/logs/proxy.log"

cat <<EOF

Codis.NET is running (product $product, data in $data):
  connect:    redis-cli -p $proxy_port
  dashboard:  http://$dash_addr/
  admin:      bin/codis-admin --dashboard=$dash_addr --overview
  groups:     1 = 127.0.0.1:${g1[0]} (master) + :${g1[1]} (replica), slots 0-511
              2 = 127.0.0.1:${g2[0]} (master) + :${g2[1]} (replica), slots 512-1023
  logs:       $data/logs/
  stop:       Ctrl-C here, or ./start.sh stop from another shell
EOF

# Stay in the foreground until Ctrl-C / SIGTERM, or until a process of the cluster dies.
while true; do
  left=0
  for f in "$run"/*.pid; do
    [ -f "$f" ] || continue
    left=1
    if ! kill -0 "$(cat "$f")" 2>/dev/null; then
      echo "$(basename "$f" .pid) exited: see $data/logs/; stopping the rest"
      rm -f "$f"; stop_all; exit 1
    fi
  done
  # `./start.sh stop` from another shell removed every pid file: the cluster is gone, so is this watcher
  [ "$left" = 1 ] || { echo "stopped from another shell"; exit 0; }
  sleep 1
done
