#!/usr/bin/env bash
# Server CPU per request for EVAL vs a plain command, on codis-server and redis-server side by side.
# usage: bench/eval-cpu.sh CODIS_PORT CODIS_PID REDIS_PORT REDIS_PID [pipeline]
# Reads utime+stime of each server from /proc/<pid>/stat around a bounded redis-benchmark run (200,000 requests).
set -euo pipefail
cport=$1; cpid=$2; rport=$3; rpid=$4; pipe=${5:-1}
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
run() { # port pid label args...
  local port=$1 pid=$2 label=$3; shift 3
  local t0; t0=$(cpu "$pid")
  redis-benchmark -p "$port" -n 200000 -c 20 -P "$pipe" -q "$@" > /dev/null 2>&1
  local t1; t1=$(cpu "$pid")
  awk -v a="$t0" -v b="$t1" -v t="$tck" -v l="$label" 'BEGIN{printf "%-28s %6.2f us CPU/request\n", l, (b-a)*1000000/t/200000}'
}
script="return redis.call('incr', KEYS[1])"
run "$cport" "$cpid" warmup eval "$script" 1 bench:n > /dev/null
for side in codis redis; do
  if [ $side = codis ]; then p=$cport; pid=$cpid; else p=$rport; pid=$rpid; fi
  run "$p" "$pid" "$side eval+incr -P $pipe" eval "$script" 1 bench:n
  run "$p" "$pid" "$side incr -P $pipe" incr bench:m
done
