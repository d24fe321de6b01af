#!/usr/bin/env bash
# Pending work at scale (docs/benchmarks.md, "Pending work in bounded memory"):
# for each size, ingests that many ~350-byte signals with the release
# `signallog ingest` (an accept-only node: everything stays pending), runs
# `signallog info` on the log, then reopens it writable with a processing
# node that processes everything (`slog-node-child --drain`), reporting wall
# time and peak RSS of each step from `/usr/bin/time -f '%e %M'`.
#
#   tools/bench/pending-memory.sh [SIZE ...]      (default: 1000000 5000000)
#
# Environment: WORK (scratch directory, default a new one under /tmp),
# SCRATCH (the build's --scratch-path, default .build).
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 5000000)
scratch=${SCRATCH:-.build}
work=${WORK:-$(mktemp -d /tmp/slog-pending.XXXXXX)}
swift build -c release --scratch-path "$scratch" --product signallog >/dev/null
swift build -c release --scratch-path "$scratch" --product slog-node-child >/dev/null
bin="$scratch/release"
echo "commit $(git rev-parse --short HEAD), $(nproc) cores"
printf '%-9s %-8s %9s %10s\n' signals step seconds 'peak MiB'
for n in "${sizes[@]}"; do
  input="$work/signals-$n.ndjson"
  log="$work/log-$n"
  rm -rf "$log"
  # ~350 bytes a line, 64 partitions.
  awk -v n="$n" 'BEGIN {
    pad = sprintf("%0230d", 0); gsub(/0/, "x", pad)
    for (i = 0; i < n; i++)
      printf "{\"signal_type\":\"work\",\"source_id\":\"bench-%d\",\"urgency\":0.5,\"partition_key\":\"p%d\",\"idempotency_key\":\"key-%d\",\"id\":\"id-%d\",\"content\":\"%s %d\"}\n", i % 50, i % 64, i, i, pad, i
  }' > "$input"
  step() {
    local name=$1; shift
    local out="$work/out-$name-$n"
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$out" 2>&1 || { echo "$name failed:"; tail -5 "$out"; exit 1; }
    read -r seconds kb < "$work/time"
    printf '%-9s %-8s %9s %10s\n' "$n" "$name" "$seconds" "$((kb / 1024))"
  }
  step ingest "$bin/signallog" ingest "$log" "$input"
  step info "$bin/signallog" info "$log"
  step reopen "$bin/slog-node-child" --drain "$log" work
  grep -h "DONE\|OPENED" "$work/out-reopen-$n" | tr '\n' ' '; echo
  rm -f "$input"
done
echo "logs in $work"
