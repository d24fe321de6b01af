#!/usr/bin/env bash
# Measures `signallog mirror` (record mode) and `signallog restore` in a
# release build against a nats-server on loopback with file storage, on a
# log of N signals made by `signallog ingest` (default 200,000). Prints
# records per second for each; the issue's goals are mirror >= 50 k/s and
# restore >= 1 M/s. Checks that the restored log verifies clean and has as
# many records as the original. Timing only: nothing here fails on speed.
#
#   tools/jetstream/rates.sh [N]
#   SCRATCH=.build-rel tools/jetstream/rates.sh 500000    # reuse a build folder
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
SCRATCH=${SCRATCH:-.build-rates}
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
rate() { python3 -c "import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print(f'{n} records in {b - a:.2f} s: {n / (b - a) / 1000:.1f} k records/s')" "$@"; }

start=$(now)
out=$("$BIN" mirror "$WORK/log" "$URL" --stream RATES)
end=$(now)
shipped=$(echo "$out" | sed -n 's/.*: \([0-9]*\) records shipped.*/\1/p')
echo "mirror (record mode):  $(rate "$shipped" "$start" "$end")"

start=$(now)
out=$("$BIN" restore "$URL" --stream RATES --log log "$WORK/restored")
end=$(now)
restored=$(echo "$out" | sed -n 's/.*: \([0-9]*\) records in.*/\1/p')
echo "restore:               $(rate "$restored" "$start" "$end")"

[ "$restored" = "$shipped" ] || { echo "restored $restored of $shipped records"; exit 1; }
"$BIN" verify "$WORK/restored" >/dev/null || { echo "the restored log does not verify clean"; exit 1; }
echo "restored log verifies clean"
