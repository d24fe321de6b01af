#!/bin/sh
# Full run of docs/reliability-tests.md #1: 200 SIGKILLs while ingesting 1,000,000
# records with an fsync per batch, every acknowledged record checked after
# each kill (the last 3,000 each time, the whole log every tenth kill).
# Usage: tools/faults/full-kills.sh [kills] [records]
set -eu
. "$(dirname "$0")/common.sh"
FAULT_KILLS=${1:-200} FAULT_RECORDS=${2:-1000000} run_fault_tests "FaultTests.SigkillCrashTests"
FAULT_KILL_POINT_HITS=${FAULT_KILL_POINT_HITS:-12} run_fault_tests "FaultTests.KillPointTests"
