# Shared by the tools/faults scripts: builds the tests once into the fault
# harness's own scratch folder and runs a filtered part of FaultTests.
# FAULT_SCRATCH overrides the folder (default .build-faults).
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${FAULT_SCRATCH:-.build-faults}
cd "$root"

run_fault_tests() {
    swift build --build-tests --scratch-path "$scratch"
    swift test --skip-build --scratch-path "$scratch" --filter "$1"
}
