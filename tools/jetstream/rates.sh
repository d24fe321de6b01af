#!/usr/bin/env bash
# Measures `signallog mirror` (record and batch mode) and `signallog restore`
# (from each) in a release build against a nats-server on loopback with file
# storage, on a log of N signals made by `signallog ingest` (default 200,000).
# Prints records per second for each. The issue's goals: record mirror
# >= 50 k/s, batch mirror and restore >= 1 M/s. Checks that every restored
# log verifies clean and has as many records as the original. Timing only:
# nothing here fails on speed.
#
#   tools/jetstream/rates.sh [N]
#   BASE=/path/to/older/signallog tools/jetstream/rates.sh   # also time that binary, alternating, in the same run
#   SCRATCH=.build-rel tools/jetstream/rates.sh 500000       # reuse a build folder
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
SCRATCH=${SCRATCH:-.build-rates}
ROUNDS=${ROUNDS:-2}
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)

swift build -c release --product signallog --scratch-path "$SCRATCH" >/dev/null
BIN="$SCRATCH/release/signallog"
WORK=$(mktemp -d)
NATS_PID=""
cleanup() { [ -n "$NATS_PID" ] && kill "$NATS_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$NATS" -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/nats" >"$WORK/nats.log" 2>&1 &
NATS_PID=$!
for _ in $(seq 1 300); do grep -q "Server is ready" "$WORK/nats.log" && break; sleep 0.1; done
grep -q "Server is ready" "$WORK/nats.log" || { cat "$WORK/nats.log"; exit 1; }
URL="nats://127.0.0.1:$PORT"

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "{\"content\":\"reading %d of sensor %d: temperature 21.%d C\",\"signal_type\":\"metric\",\"urgency\":0.5,\"source_id\":\"sensor-%d\"}\n", i, i % 1000, i % 10, i % 1000 }' >"$WORK/signals.ndjson"
"$BIN" ingest "$WORK/log" "$WORK/signals.ndjson" >/dev/null

now() { date +%s.%N; }
# rate N START END: wall-clock rate, and the CPU seconds (user + system) the
# command used, from /usr/bin/time's output in $WORK/cpu (on a loaded machine
# the CPU time per record is the steadier figure).
rate() { python3 -c "import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); u, s = map(float, open(sys.argv[4]).read().split()[-2:]); print(f'{n} records in {b - a:6.2f} s: {n / (b - a) / 1000:8.1f} k records/s, CPU {u + s:5.2f} s ({(u + s) / n * 1e6:5.2f} us/record)')" "$@" "$WORK/cpu"; }
timed() { /usr/bin/time -f "%U %S" -o "$WORK/cpu" "$@"; }

RUN=0
# measure LABEL BINARY: mirror and restore in both modes, each into a stream of its own.
measure() {
  local label=$1 bin=$2 mode start end out shipped restored
  for mode in record batch; do
    RUN=$((RUN + 1))
    local prefix="r$RUN" stream="RATES$RUN" dir="$WORK/restored$RUN"
    start=$(now)
    out=$(timed "$bin" mirror "$WORK/log" "$URL" --stream "$stream" --prefix "$prefix" --mode "$mode")
    end=$(now)
    shipped=$(echo "$out" | sed -n 's/.*: \([0-9]*\) records shipped.*/\1/p')
    printf '%-6s mirror  (%-6s): %s\n' "$label" "$mode" "$(rate "$shipped" "$start" "$end")"
    start=$(now)
    out=$(timed "$bin" restore "$URL" --stream "$stream" --prefix "$prefix" --log log "$dir")
    end=$(now)
    restored=$(echo "$out" | sed -n 's/.*: \([0-9]*\) records in.*/\1/p')
    printf '%-6s restore (%-6s): %s\n' "$label" "$mode" "$(rate "$restored" "$start" "$end")"
    [ "$restored" = "$shipped" ] || { echo "restored $restored of $shipped records"; exit 1; }
    "$bin" verify "$dir" >/dev/null || { echo "the restored log $dir does not verify clean"; exit 1; }
    rm -rf "$dir"
  done
}

for round in $(seq 1 "$ROUNDS"); do
  [ -n "${BASE:-}" ] && measure base "$BASE"
  measure new "$BIN"
done
echo "every restored log verifies clean"
