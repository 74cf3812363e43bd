#!/usr/bin/env bash
# Runs every test of Codis.NET from a clean checkout: installs the real peers the tests start
# (Debian's redis-server and redis-tools), builds, runs all test projects, and ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

log=$(mktemp)
dotnet test Codis.slnx -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One closing line over all test assemblies: "tests: N passed, N failed, N skipped".
read -r passed failed skipped < <(grep -E '(Passed|Failed)!  - Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
