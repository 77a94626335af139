#!/usr/bin/env bash
# Report benchmark (DESIGN.md §8): the 1-day inventory report of a cluster
# with about 10,000 endpoints and 1,000 policies, over a store holding one
# day of history and over one holding a year (same cluster, same day).
#
#   scripts/bench-report.sh            # builds bench-out/report-{1,365}d if absent, then times
#   RUNS=5 scripts/bench-report.sh     # more timed runs per store
#   DAYS="1 30" scripts/bench-report.sh  # other history lengths (the first is the reference)
#   BENCH_FLAGS="--scale small --window-events 2000" BENCH_OUT=/tmp/rb DAYS="1 3" scripts/bench-report.sh
#                                      # a quick check of the script itself
#
# Building the 365-day store (about 5.5 million events) takes a while the
# first time; later runs reuse it. Each run also writes a CPU profile of one
# report to bench-out/report-<N>d.cpu.prof.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${BENCH_OUT:-bench-out}
runs=${RUNS:-3}
days_list=${DAYS:-"1 365"}
read -r -a flags <<<"${BENCH_FLAGS:-}"

go build -o bin/evident ./cmd/evident
mkdir -p "$out"

results=()
for days in $days_list; do
	echo "== report over a store with ${days} day(s) of history" >&2
	log="$out/report-${days}d.txt"
	bin/evident --data "$out/report-${days}d" dev report-bench --history-days "$days" --runs "$runs" \
		--cpuprofile "$out/report-${days}d.cpu.prof" ${flags[@]+"${flags[@]}"} | tee "$log"
	results+=("$(grep '^result ' "$log")")
done

echo
printf '%s\n' "${results[@]}" | awk '
function val(key,   i, kv) {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] }
	return ""
}
function size(b) {
	if (b >= 1073741824) return sprintf("%.2f GiB", b / 1073741824)
	return sprintf("%.1f MiB", b / 1048576)
}
BEGIN { printf "%-10s %12s %12s %16s %8s\n", "history", "events", "store size", "report median", "ratio" }
{
	m = val("median_s")
	if (NR == 1) ref = m
	printf "%-10s %12d %12s %15.3fs %7.2fx\n", val("history_days") " d", val("events"), size(val("store_bytes")), m, (ref > 0 ? m / ref : 0)
}'
