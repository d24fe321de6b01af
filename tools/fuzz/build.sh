#!/bin/sh
# Builds the libFuzzer targets (segment, index, batch) with AddressSanitizer:
# the engine's sources, the shared harness (Tests/FaultTests/Fuzz) and one
# entry file each, compiled as one module by swiftc; CRC32C's C file by the
# toolchain's clang with the same sanitizers; liblz4 from the system.
# Usage: tools/fuzz/build.sh            -> binaries in .build-fuzz/
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$root/.build-fuzz}
swiftc=${SWIFTC:-swiftc}
clang=${CLANG:-$(dirname "$(command -v "$swiftc")")/clang}
[ -x "$clang" ] || clang=clang
mkdir -p "$out"
"$clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CCRC32C/include" \
    "$root/Sources/CCRC32C/crc32c.c" -o "$out/crc32c.o"
engine=$(find "$root/Sources/SegmentLog" -name '*.swift' | sort)
for target in Segment Index Batch; do
    lower=$(echo "$target" | tr 'A-Z' 'a-z')
    echo "building fuzz-$lower"
    # shellcheck disable=SC2086
    "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g -D DEBUG \
        -module-name SegmentLogFuzz -package-name SegmentLogFuzz -swift-version 6 \
        -I "$root/Sources/CLZ4" -I "$root/tools/fuzz/CCRC32C" \
        $engine "$root/Tests/FaultTests/Fuzz/FuzzHarness.swift" "$root/Tests/FaultTests/Fuzz/MemoryLogFile.swift" \
        "$root/tools/fuzz/Fuzz$target.swift" "$out/crc32c.o" -llz4 \
        -o "$out/fuzz-$lower" 2>&1 | grep -v "Cannot export local symbol" || true
    [ -x "$out/fuzz-$lower" ] || { echo "fuzz-$lower did not build" >&2; exit 1; }
done
echo "fuzz targets in $out"
