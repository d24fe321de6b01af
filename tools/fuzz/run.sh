#!/bin/sh
# Runs the libFuzzer targets for a chosen time (docs/reliability-tests.md #10).
# Usage: tools/fuzz/run.sh SECONDS [segment index batch signal-line]
#   SECONDS is split evenly over the targets named (all four by default).
#   FUZZ_KEEP=1 merges inputs that add coverage into fixtures/fuzz-corpus/.
# The working corpus lives in .build-fuzz/corpus/<target>, seeded from the
# kept corpus; crashes, leaks and out-of-memory inputs are written to
# .build-fuzz/artifacts/ and make the script fail.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:?usage: tools/fuzz/run.sh SECONDS [segment index batch signal-line]}
shift
targets=${*:-segment index batch signal-line}
count=$(echo "$targets" | wc -w)
each=$((seconds / count))
out=${FUZZ_OUT:-$root/.build-fuzz}
[ -x "$out/fuzz-signal-line" ] || "$root/tools/fuzz/build.sh"
mkdir -p "$out/artifacts"
status=0
# The Swift runtime's own crash reporter fights AddressSanitizer; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
for target in $targets; do
    kept="$root/fixtures/fuzz-corpus/$target"
    work="$out/corpus/$target"
    mkdir -p "$work" "$kept"
    cp -n "$kept"/* "$work"/ 2>/dev/null || true
    echo "== fuzz-$target for ${each}s"
    if ! "$out/fuzz-$target" "$work" -max_total_time="$each" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" 2>"$out/$target.log"; then
        status=1
        echo "fuzz-$target found a failure; see $out/$target.log and $out/artifacts/" >&2
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$out/$target.log" || tail -3 "$out/$target.log"
    if [ "${FUZZ_KEEP:-0}" = 1 ]; then
        "$out/fuzz-$target" -merge=1 -max_len=4096 "$kept" "$work" >/dev/null 2>&1
        echo "kept corpus: $(ls "$kept" | wc -l) inputs"
    fi
done
exit $status
