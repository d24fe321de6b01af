#!/usr/bin/env bash
# Full-size two-process delivery under SIGKILL (the test suite runs a
# CI-sized sample: Tests/JetStreamTests/DeliveryCrashTests.swift): sends N
# signals (default 100,000) with `signallog send` while `signallog inbox`
# appends them to a node's log and is SIGKILLed every KILL_EVERY seconds
# (default 1.5) and restarted, KILLS times (default 10); a last run with
# --until-idle finishes. Passes when the node's log holds every signal
# exactly once and each partition in the order sent.
#
#   tools/jetstream/inbox-kills.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
KILLS=${KILLS:-10}
KILL_EVERY=${KILL_EVERY:-1.5}
SCRATCH=${SCRATCH:-.build-rates}
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)

swift build -c release --product signallog --scratch-path "$SCRATCH" >/dev/null
BIN="$SCRATCH/release/signallog"
WORK=$(mktemp -d)
NATS_PID=""
SEND_PID=""
cleanup() {
  [ -n "$SEND_PID" ] && kill "$SEND_PID" 2>/dev/null
  [ -n "$NATS_PID" ] && kill "$NATS_PID" 2>/dev/null
  wait 2>/dev/null; rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$NATS" -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/nats" >"$WORK/nats.log" 2>&1 &
NATS_PID=$!
for _ in $(seq 1 300); do grep -q "Server is ready" "$WORK/nats.log" && break; sleep 0.1; done
URL="nats://127.0.0.1:$PORT"

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":\"sig-%d\",\"idempotency_key\":\"key-%d\",\"partition_key\":\"p%d\",\"content\":\"reading %d\",\"signal_type\":\"metric\",\"urgency\":0.5,\"source_id\":\"sensor-%d\"}\n", i, i, i % 16, i, i % 1000 }' >"$WORK/signals.ndjson"

INBOX=("$BIN" inbox "$WORK/node-b" "$URL" --stream KILLS --node node-b --ack-wait 2 --batch 128)
"${INBOX[@]}" >/dev/null 2>&1 &
INBOX_PID=$!
# The inbox answers status requests, so the sender sees its capacity.
sleep 1
"$BIN" send "$URL" "$WORK/signals.ndjson" --stream KILLS --node node-b >"$WORK/send.out" 2>&1 &
SEND_PID=$!
for k in $(seq 1 "$KILLS"); do
  sleep "$KILL_EVERY"
  kill -KILL "$INBOX_PID" 2>/dev/null || true
  wait "$INBOX_PID" 2>/dev/null || true
  "${INBOX[@]}" >/dev/null 2>&1 &
  INBOX_PID=$!
done
wait "$SEND_PID"; SEND_PID=""
cat "$WORK/send.out"
kill -KILL "$INBOX_PID" 2>/dev/null || true
wait "$INBOX_PID" 2>/dev/null || true
"${INBOX[@]}" --until-idle
"$BIN" cat "$WORK/node-b" --kind signal -o ndjson >"$WORK/appended.ndjson"
echo "$("$BIN" cat "$WORK/node-b" --kind attempt -o ndjson | grep -c '"outcome":"duplicate"' || true) redelivered signals absorbed by dedupe (attempt records with outcome duplicate)"
python3 - "$WORK/appended.ndjson" "$N" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
seen, last, problems = set(), {}, []
for line in open(path):
    s = json.loads(line)["signal"]
    i = int(s["id"][4:])
    if i in seen: problems.append(f"{s['id']} appended twice")
    seen.add(i)
    p = s["partition_key"]
    if last.get(p, -1) > i: problems.append(f"partition {p}: {s['id']} after sig-{last[p]}")
    last[p] = i
missing = n - len(seen)
if missing: problems.append(f"{missing} of {n} signals missing")
print(f"{len(seen)} of {n} signals in the node's log; {len(problems)} problems")
for p in problems[:10]: print("  " + p)
sys.exit(1 if problems else 0)
PY
