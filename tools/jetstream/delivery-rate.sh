#!/usr/bin/env bash
# Measures cross-machine delivery on loopback in a release build: `signallog
# send` publishing N signals (default 200,000) into a delivery stream, and
# `signallog inbox` appending them from the stream to a node's log, each as
# its own process, against `signallog ingest` of the same NDJSON into a
# local log in the same run (the local path the remote one is compared
# with). Then checks that the node's log holds every signal once.
# The issue's goal: >= 100 k signals/s between two processes. Timing only.
#
#   tools/jetstream/delivery-rate.sh [N]
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

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":\"sig-%d\",\"content\":\"reading %d of sensor %d: temperature 21.%d C\",\"signal_type\":\"metric\",\"urgency\":0.5,\"source_id\":\"sensor-%d\"}\n", i, i, i % 1000, i % 10, i % 1000 }' >"$WORK/signals.ndjson"

now() { date +%s.%N; }
# rate N START END: wall-clock rate and the command's CPU seconds (user + system).
rate() { python3 -c "import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); u, s = map(float, open(sys.argv[4]).read().split()[-2:]); print(f'{n} signals in {b - a:6.2f} s: {n / (b - a) / 1000:8.1f} k signals/s, CPU {u + s:5.2f} s')" "$@" "$WORK/cpu"; }
timed() { /usr/bin/time -f "%U %S" -o "$WORK/cpu" "$@"; }

start=$(now); timed "$BIN" ingest "$WORK/local" "$WORK/signals.ndjson" >/dev/null; end=$(now)
echo "local ingest:          $(rate "$N" "$start" "$end")"
# Both processes at once: the inbox reads while the sender publishes (an
# inbox that answers also tells the sender its capacity; without one the
# sender would be refused at 95 % of the assumed 10,000).
start=$(now)
/usr/bin/time -f "%U %S" -o "$WORK/cpu.inbox" "$BIN" inbox "$WORK/node-b" "$URL" --stream DELIVERY --node node-b --until-idle >"$WORK/inbox.out" 2>&1 &
INBOX_PID=$!
out=$(timed "$BIN" send "$URL" "$WORK/signals.ndjson" --stream DELIVERY --node node-b); sent=$(now)
echo "send (into stream):    $(rate "$N" "$start" "$sent")"
echo "$out" | grep -q "$N stored" || { echo "$out"; exit 1; }
wait "$INBOX_PID" || { cat "$WORK/inbox.out"; exit 1; }
end=$(now)
cp "$WORK/cpu.inbox" "$WORK/cpu"
echo "send to inbox's log:   $(rate "$N" "$start" "$end") (inbox CPU; the time includes its last, empty 1 s fetch)"
grep -q "$N accepted, 0 duplicates" "$WORK/inbox.out" || { cat "$WORK/inbox.out"; exit 1; }
echo "every signal was appended once"
