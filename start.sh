#!/usr/bin/env bash
# Builds Codis.NET and starts it in the foreground. Until the one-command local cluster lands this starts
# one codis-server on 127.0.0.1:6379 (data in ./data/server); Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")"
dotnet publish src/Codis.Server -c Release -o bin --nologo -v q
mkdir -p data/server
echo "codis-server: connect with  redis-cli -p 6379   (Ctrl-C to stop)"
exec dotnet bin/codis-server.dll --port 6379 --dir "$PWD/data/server" "$@"
