#!/bin/sh
# Builds the libFuzzer targets with AddressSanitizer:
# - segment, index, batch: the engine's sources, the shared harness
#   (Tests/FaultTests/Fuzz) and one entry file each, compiled as one module
#   by swiftc;
# - signal-line: the import line decoder (the processing layer's model and
#   codecs with their harness, Tests/SignalLogTests/Fuzz), on top of the
#   engine built as a module of its own;
# the C files (CRC32C, writeback) by the toolchain's clang with the same
# sanitizers; liblz4 from the system.
# Usage: tools/fuzz/build.sh [segment index batch signal-line]  -> binaries in .build-fuzz/
#   (all four by default)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$root/.build-fuzz}
swiftc=${SWIFTC:-swiftc}
clang=${CLANG:-$(dirname "$(command -v "$swiftc")")/clang}
[ -x "$clang" ] || clang=clang
mkdir -p "$out"
"$clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CCRC32C/include" \
    "$root/Sources/CCRC32C/crc32c.c" -o "$out/crc32c.o"
"$clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CWriteback/include" \
    "$root/Sources/CWriteback/cwriteback.c" -o "$out/cwriteback.o"
engine=$(find "$root/Sources/SegmentLog" -name '*.swift' | sort)
modules="-I $root/Sources/CLZ4 -I $root/tools/fuzz/CCRC32C -I $root/tools/fuzz/CWriteback"
wanted=" ${*:-segment index batch signal-line} "
for target in Segment Index Batch; do
    lower=$(echo "$target" | tr 'A-Z' 'a-z')
    case "$wanted" in *" $lower "*) ;; *) continue ;; esac
    echo "building fuzz-$lower"
    # shellcheck disable=SC2086
    "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g -D DEBUG \
        -module-name SegmentLogFuzz -package-name SegmentLogFuzz -swift-version 6 $modules \
        $engine "$root/Tests/FaultTests/Fuzz/FuzzHarness.swift" "$root/Tests/FaultTests/Fuzz/MemoryLogFile.swift" \
        "$root/tools/fuzz/Fuzz$target.swift" "$out/crc32c.o" "$out/cwriteback.o" -llz4 \
        -o "$out/fuzz-$lower" 2>&1 | grep -v "Cannot export local symbol" || true
    [ -x "$out/fuzz-$lower" ] || { echo "fuzz-$lower did not build" >&2; exit 1; }
done
case "$wanted" in *" signal-line "*) ;; *) echo "fuzz targets in $out"; exit 0 ;; esac
echo "building fuzz-signal-line"
mkdir -p "$out/modules"
# shellcheck disable=SC2086
"$swiftc" -sanitize=address -parse-as-library -O -g -emit-module -emit-module-path "$out/modules/SegmentLog.swiftmodule" \
    -emit-library -static -module-name SegmentLog -package-name SignalLogFuzz -swift-version 6 $modules \
    $engine -o "$out/libSegmentLogFuzz.a" 2>&1 | grep -v "Cannot export local symbol" || true
codec=$(find "$root/Sources/SignalLog/Model" "$root/Sources/SignalLog/Codec" -name '*.swift' | sort)
# shellcheck disable=SC2086
"$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name SignalLineFuzz -package-name SignalLogFuzz -swift-version 6 -I "$out/modules" $modules \
    $codec "$root/Tests/SignalLogTests/Fuzz/SignalLineFuzzHarness.swift" "$root/tools/fuzz/FuzzSignalLine.swift" \
    "$out/libSegmentLogFuzz.a" "$out/crc32c.o" "$out/cwriteback.o" -llz4 \
    -o "$out/fuzz-signal-line" 2>&1 | grep -v "Cannot export local symbol" || true
[ -x "$out/fuzz-signal-line" ] || { echo "fuzz-signal-line did not build" >&2; exit 1; }
echo "fuzz targets in $out"
