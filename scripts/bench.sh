#!/usr/bin/env bash
# Command-level benchmarks of BENCHMARKS.md: ingest rate, bytes per event,
# peak memory, timeline and changelog latency, on generated real-shaped
# audit events. Results go to bench-out/ (kept between runs; delete it to
# start over). Run on an otherwise idle machine.
#
#   scripts/bench.sh                 # 1 M events
#   EVENTS=10000000 scripts/bench.sh # 10 M events (about 33 GB streamed, ~1 h)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1000000}
OUT=bench-out
mkdir -p "$OUT"
go build -o bin/evident ./cmd/evident
store="$OUT/store-$EVENTS"
log="$OUT/ingest-$EVENTS.txt"
if [ ! -d "$store" ]; then
  if [ "$EVENTS" -le 2000000 ]; then
    file="$OUT/events-$EVENTS.jsonl"
    [ -f "$file" ] || bin/evident dev generate --events "$EVENTS" --out "$file"
    echo "== ingest $EVENTS events from $(du -h "$file" | cut -f1) of JSON lines"
    /usr/bin/time -v bin/evident --data "$store" ingest "$file" 2>"$log.time" | tee "$log"
  else
    echo "== ingest $EVENTS events streamed from the generator"
    bin/evident dev generate --events "$EVENTS" | /usr/bin/time -v bin/evident --data "$store" ingest - 2>"$log.time" | tee "$log"
  fi
  grep -E "Maximum resident|Elapsed \(wall" "$log.time" | tee -a "$log"
fi
cat "$log"
echo "== store"
bin/evident --data "$store" status | sed -n 1,5p
du -sh "$store" "$store/events" "$store/meta.db"
echo "== queries"
bin/evident --data "$store" dev query-bench --n 2000
