#!/bin/sh
# Full run of docs/reliability-tests.md #10: an hour of fuzzing split over the segment,
# index, batch and signal-line targets; inputs that add coverage are merged into the kept
# corpus (fixtures/fuzz-corpus), which CI replays.
# Usage: tools/faults/full-fuzz.sh [seconds]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/tools/fuzz/build.sh"
FUZZ_KEEP=1 "$root/tools/fuzz/run.sh" "${1:-3600}"
