#!/usr/bin/env bash
# Webhook benchmark of BENCHMARKS.md: starts `evident serve` on loopback
# with a fresh store, posts synthetic EventLists at a fixed rate with
# `evident dev webhook-load`, then checks that every event was stored.
#
#   RATE=20000 EVENTS=600000 scripts/bench-webhook.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-20000}
EVENTS=${EVENTS:-600000}
go build -o bin/evident ./cmd/evident
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
echo 'bench-token,loader,1,"system:masters"' > "$work/tokens.csv"
cat > "$work/evident.yaml" <<CFG
listen: 127.0.0.1:18099
store: {path: ./data}
sources: [{webhook: {}}]
auth: {tokensFile: tokens.csv}
CFG
bin/evident serve --config "$work/evident.yaml" --log-level warn &
server=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18099/healthz >/dev/null && break; sleep 0.2; done
bin/evident dev webhook-load --url http://127.0.0.1:18099/ingest/v1/audit --token bench-token --rate "$RATE" --events "$EVENTS"
stored=$(curl -sf -H 'Authorization: Bearer bench-token' 'http://127.0.0.1:18099/api/v1/audit/counts?bucket=8760h' |
  python3 -c 'import json,sys; print(sum(c["count"] for c in json.load(sys.stdin)["counts"]))')
echo "stored $stored of $EVENTS events"
[ "$stored" = "$EVENTS" ] || { echo "EVENTS LOST"; exit 1; }
