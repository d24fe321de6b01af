#!/usr/bin/env bash
# Builds the DocC catalogs of SegmentLog and SignalLog
# (Sources/*/*.docc) with the swift-docc-plugin and fails when DocC warns
# (an unresolved symbol link, an undocumented parameter, a broken article).
# Warnings SwiftPM prints about dependencies' own files are not DocC's and
# are ignored. Output: .build/plugins/Swift-DocC/outputs/<target>.doccarchive
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
for target in SegmentLog SignalLog; do
    output=$(swift package --disable-sandbox generate-documentation --target "$target" 2>&1) || {
        echo "$output" >&2
        echo "docs/build.sh: generating $target's documentation failed" >&2
        exit 1
    }
    warnings=$(echo "$output" | grep -A6 '^warning:' | grep -v "found 1 file(s) which are unhandled" || true)
    if echo "$output" | grep '^warning:' | grep -vq "which are unhandled"; then
        echo "$warnings" >&2
        echo "docs/build.sh: DocC warned about $target (above)" >&2
        status=1
    else
        echo "docs/build.sh: $target documentation built without warnings"
    fi
done
exit $status
