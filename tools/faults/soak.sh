#!/bin/sh
# docs/reliability-tests.md #19 for a chosen duration (default one hour), also 2,000
# power-cut rounds. Prints FAULT_SEED; a failing round prints its
# FAULT_SOAK_ROUND_SEED, and `tools/faults/soak.sh 0 <round seed>` replays it.
# Usage: tools/faults/soak.sh [seconds] [round seed]
set -eu
. "$(dirname "$0")/common.sh"
if [ -n "${2:-}" ]; then
    FAULT_SOAK_ROUND_SEED=$2 run_fault_tests "FaultTests.SoakTests"
else
    FAULT_SOAK_SECONDS=${1:-3600} run_fault_tests "FaultTests.SoakTests"
    FAULT_POWER_CUTS=${FAULT_POWER_CUTS:-2000} run_fault_tests "FaultTests.LostWriteTests"
fi
