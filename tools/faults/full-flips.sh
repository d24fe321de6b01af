#!/bin/sh
# Full run of docs/reliability-tests.md #7 and #8: 10,000 bit flips in sealed segments,
# and every truncation length and every bit of an index file.
# Usage: tools/faults/full-flips.sh [flips]
set -eu
. "$(dirname "$0")/common.sh"
FAULT_FLIPS=${1:-10000} run_fault_tests "FaultTests.BitFlipTests"
FAULT_INDEX_FULL=1 run_fault_tests "FaultTests.IndexDamageTests"
