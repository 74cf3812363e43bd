#!/usr/bin/env bash
# Runs every test of Codis.NET from a clean checkout: installs the real peers the tests start
# (Debian's redis-server, redis-tools, redis-sentinel, zookeeper, etcd-server) and the browser the web UI tests drive
# (Debian's chromium; Playwright never downloads one), builds, runs all test projects; the output ends with
# the test runner's own summary line.
set -uo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)   # the Sentinel HA tests run three real sentinels
[ -e /usr/share/zookeeper/bin/zkServer.sh ] || need+=(zookeeper)
command -v etcd >/dev/null || need+=(etcd-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ip >/dev/null || need+=(iproute2)   # the fault suite's three-host test (network namespaces, as root)
[ -f /usr/lib/python3/dist-packages/redis/__init__.py ] || need+=(python3-redis)   # the real redis-py the client tests drive (under /usr/bin/python3)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

exec dotnet test Codis.slnx -c Release
