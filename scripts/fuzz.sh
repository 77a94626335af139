#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 10s).
# New interesting inputs are minimised for at most 3s: with large seed inputs
# the default (60s) can use a whole short run.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $target ($t)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" -fuzzminimizetime 3s "$pkg"
  done
done
