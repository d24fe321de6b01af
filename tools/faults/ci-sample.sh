#!/bin/sh
# The CI sample of every docs/reliability-tests.md scenario (about 2.5 minutes here):
# 100 SIGKILLs over 20,000 records, 15 kill points x 3 hits, 150 power cuts,
# every torn-tail offset of the last three batches, garbage tails, 1,000 bit
# flips, index damage, hostile lengths, the fault-layer scenarios, the fuzz
# corpus replay and a 60-second soak. FAULT_SEED=<n> replays a failure.
set -eu
. "$(dirname "$0")/common.sh"
run_fault_tests FaultTests
