# Sourced by the migration bench scripts: two fresh codis-servers, a source and a target, on free ports.
# start_two_servers: publishes src/Codis.Server to bin unless BIN is set (a before/after comparison), starts the
#   servers (with perf maps when PERF is set), waits for them and removes everything on exit.
#   Sets BIN, work, aport, bport, apid, bpid.
start_two_servers() {
  BIN=${BIN:-}
  [ -n "$BIN" ] || { BIN=bin; dotnet publish src/Codis.Server -c Release -o bin --nologo -v q >/dev/null; }
  work=$(mktemp -d)
  aport=$((20000 + RANDOM % 10000)); bport=$((aport + 1))
  [ -n "${PERF:-}" ] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
  dotnet "$BIN/codis-server.dll" --port "$aport" --save "" --appendonly no --dir "$work" >"$work/a.log" 2>&1 &
  apid=$!
  dotnet "$BIN/codis-server.dll" --port "$bport" --save "" --appendonly no --dir "$work" >"$work/b.log" 2>&1 &
  bpid=$!
  trap 'kill $apid $bpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
  for p in $aport $bport; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
}
