# Sourced by the bench scripts that compare with Debian's twemproxy (nutcracker).
# twemproxy_install: installs nutcracker if missing (idempotent) and sets NUTCRACKER to its path.
# twemproxy_start WORKDIR LISTEN_PORT STATS_PORT BACKEND_PORT...: starts it in front of the given redis-servers
#   (fnv1a_64 + modula, the twemproxy set-up the benches compare with) and sets TWEMPROXY_PID.
twemproxy_install() {
  if ! command -v nutcracker >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq nutcracker >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nutcracker >/dev/null; }
  fi
  NUTCRACKER=$(command -v nutcracker || echo /usr/sbin/nutcracker)
}

twemproxy_start() {
  local dir=$1 listen=$2 stats=$3
  shift 3
  {
    echo "bench:"
    echo "  listen: 127.0.0.1:$listen"
    echo "  hash: fnv1a_64"
    echo "  distribution: modula"
    echo "  redis: true"
    echo "  preconnect: true"
    echo "  auto_eject_hosts: false"
    echo "  servers:"
    for port in "$@"; do echo "   - 127.0.0.1:$port:1"; done
  } >"$dir/nutcracker.yml"
  "$NUTCRACKER" -c "$dir/nutcracker.yml" -s "$stats" -o "$dir/nutcracker.log" &
  TWEMPROXY_PID=$!
}
