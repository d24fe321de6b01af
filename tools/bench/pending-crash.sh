#!/usr/bin/env bash
# SIGKILL with many signals pending, then reopen (issue 13, docs/reliability-tests.md
# #18 at full size): an accept-only `slog-node-child` (SLOG_ACCEPT_ONLY=1)
# accepts signals in batches of 1000 over 64 partitions, printing an ACK
# line per acknowledged signal, and is killed with SIGKILL once SIZE are
# acknowledged; `slog-node-child --drain` then reopens the log with a
# processing node and processes everything (wall time and peak RSS from
# `/usr/bin/time`), and `--check-processed` verifies that every
# acknowledged signal was processed exactly once, in per-partition order.
#
#   tools/bench/pending-crash.sh [SIZE]      (default 1000000)
#
# Environment: WORK (scratch directory, default a new one under /tmp),
# SCRATCH (the build's --scratch-path, default .build).
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-1000000}
scratch=${SCRATCH:-.build}
work=${WORK:-$(mktemp -d /tmp/slog-crash.XXXXXX)}
swift build -c release --scratch-path "$scratch" --product slog-node-child >/dev/null
bin="$scratch/release/slog-node-child"
log="$work/log"
acks="$work/acks"
rm -rf "$log"
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $size acknowledged before the kill"
SLOG_ACCEPT_ONLY=1 "$bin" "$log" 0 64 1000 > "$acks" &
child=$!
while [ "$(grep -c '^ACK' "$acks" || true)" -lt "$size" ]; do
  kill -0 "$child" 2>/dev/null || { echo "child exited early:"; tail -3 "$acks"; exit 1; }
  sleep 0.5
done
kill -9 "$child"
wait "$child" 2>/dev/null || true
echo "killed after $(grep -c '^ACK' "$acks") acknowledgements"
/usr/bin/time -f '%e %M' -o "$work/time" "$bin" --drain "$log" work > "$work/drain" 2>&1 || { echo "drain failed:"; tail -5 "$work/drain"; exit 1; }
read -r seconds kb < "$work/time"
grep -h "OPENED\|DONE" "$work/drain" | tr '\n' ' '; echo
echo "reopen and process: $seconds s, peak $((kb / 1024)) MiB"
"$bin" --check-processed "$log" "$acks"
echo "logs in $work"
