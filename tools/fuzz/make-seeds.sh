#!/bin/sh
# Writes seed inputs for the fuzz corpus from real logs: a small log written
# by slog-crash-child (rotating, so it has sealed segments and index files)
# and fixtures/v2/basic (records with event times, format 2 indexes; seeds
# named seed-v2-*), cut into whole segment files, segment bodies, index files
# and single batches. Usage: tools/fuzz/make-seeds.sh [scratch-path] (default .build-faults)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${1:-.build-faults}
cd "$root"
swift build --scratch-path "$scratch" --product slog-crash-child >/dev/null
child="$scratch/debug/slog-crash-child"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$child" ingest --dir "$work/log" --count 120 --batch-max 6 --segment-bytes 3000 --seed 7 >/dev/null
corpus="$root/fixtures/fuzz-corpus"
mkdir -p "$corpus/segment" "$corpus/index" "$corpus/batch"
for source in "$work/log:seed" "$root/fixtures/v2/basic:seed-v2"; do
python3 - "${source%%:*}" "$corpus" "${source##*:}" <<'PY'
import os, struct, sys
log, corpus, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
segments = sorted(n for n in os.listdir(log) if n.endswith(".seg"))
for i, name in enumerate(segments[:3]):
    data = open(os.path.join(log, name), "rb").read()
    open(f"{corpus}/segment/{prefix}-whole-{i}", "wb").write(data)
    open(f"{corpus}/segment/{prefix}-body-{i}", "wb").write(data[40:])
    offset, n = 40, 0
    while offset + 48 <= len(data) and n < 4:
        stored = struct.unpack_from("<I", data, offset + 8)[0]
        open(f"{corpus}/batch/{prefix}-{i}-{n}", "wb").write(data[offset:offset + 48 + stored])
        offset += 48 + stored
        n += 1
for i, name in enumerate(sorted(n for n in os.listdir(log) if n.endswith(".idx"))[:3]):
    open(f"{corpus}/index/{prefix}-{i}", "wb").write(open(os.path.join(log, name), "rb").read())
PY
done
ls "$corpus"/*/ | head -50
