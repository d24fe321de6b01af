#!/bin/sh
# Alternates the headline ingest (os, batches of 1,000, SignalLog only, the
# median of --repeats runs each) of two signallog-bench binaries, ROUNDS
# times, so that a change's effect on the append path is measured against a
# baseline under the same machine load. Prints one line per run and the
# median records/s of each binary.
# Usage: tools/bench/compare-ingest.sh BASELINE_BIN CANDIDATE_BIN [ROUNDS]
set -eu
base=$1 candidate=$2 rounds=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
i=1
while [ "$i" -le "$rounds" ]; do
    for which in base candidate; do
        eval bin=\$$which
        "$bin" --only ingest --main-only --no-sqlite --no-results --json 2>/dev/null > "$out/$which-$i.json"
        python3 - "$out/$which-$i.json" "$which" "$i" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
row = next(r for r in report["ingest"] if r["system"] == "SignalLog")
print(f"round {sys.argv[3]} {sys.argv[2]:9s} {row['recordsPerSecond']:12.0f} records/s  load {report['machine']['loadBefore']}")
PY
    done
    i=$((i + 1))
done
python3 - "$out" <<'PY'
import json, os, statistics, sys
rates = {"base": [], "candidate": []}
for name in os.listdir(sys.argv[1]):
    which = name.split("-")[0]
    report = json.load(open(os.path.join(sys.argv[1], name)))
    rates[which].append(next(r for r in report["ingest"] if r["system"] == "SignalLog")["recordsPerSecond"])
b, c = statistics.median(rates["base"]), statistics.median(rates["candidate"])
print(f"median base {b:.0f}/s, candidate {c:.0f}/s, candidate / base {c / b:.3f}")
PY
