#!/usr/bin/env bash
# Resident memory of the real binary: idle after start, then after N notifications sent by
# cmd/loadgen over loopback. Usage: scripts/measure-memory.sh [N] [DATABASE_URL]
# Starts and stops its own server on 127.0.0.1:18181 with a scratch database.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
url=${2:-sqlite:$dir/dd.db}
CGO_ENABLED=0 go build -trimpath -o "$dir/diundashboard" ./cmd/diundashboard
go build -o "$dir/loadgen" ./cmd/loadgen
export AUTH_MODE=none WEBHOOK_TOKEN=measure-memory-webhook-token-0123 LISTEN_ADDR=127.0.0.1:18181 DATABASE_URL=$url LOG_LEVEL=warn
"$dir/diundashboard" serve &
pid=$!
for _ in $(seq 50); do curl -fs http://127.0.0.1:18181/readyz >/dev/null 2>&1 && break; sleep 0.1; done
sleep 2
rss() { awk '/^VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"; }
echo "idle: $(rss)"
"$dir/loadgen" -url http://127.0.0.1:18181/webhook -token measure-memory-webhook-token-0123 -n "$n" -c 8
echo "after $n notifications: $(rss)"
