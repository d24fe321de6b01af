#!/usr/bin/env bash
# The user's path (issue 13, item 5): whole-process `signallog ingest` of an
# NDJSON file against `lz4 -1` of the same file (the bound) and a SQLite
# import of it, all in one run, each with wall time and peak RSS from
# /usr/bin/time. Prints signals/s and each rate as a fraction of lz4's.
#
# Usage: tools/bench/ingest-path.sh [--quick] [--signals N] [--repeats R] [--dir PATH]
#                                   [--no-build] [--no-sqlite] [--baseline BIN] [--save]
#   --signals N   signals in the generated file (default 1,000,000; --quick: 20,000)
#   --repeats R   runs of each row; the fastest is reported, with the largest peak RSS (default 1)
#   --dir PATH    scratch directory on a real disk (default a new one under $TMPDIR or /tmp)
#   --no-build    use the release binaries already built
#   --no-sqlite   leave out the SQLite column
#   --baseline BIN  another signallog binary (an older commit's release build):
#                 its file, stdin and CloudEvents rows run right after this
#                 build's, on the same files, for an A/B in one run
#   --save        also write the table to tools/bench/results/<date>-<commit>[-dirty]-ingest-path.txt
# Rows: lz4 -1 of the file; signallog ingest of the file; the same file on
# standard input through a pipe; the same signals as CloudEvents NDJSON
# (written by `signallog cat -o cloudevents` from the first log); SQLite.
# Exits non-zero when a row stores the wrong number of signals, never
# because of timing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
signals=1000000 quick=0 repeats=1 dir="" build=1 sqlite=1 baseline="" save=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --signals) signals=${2:?--signals needs a number}; shift ;;
        --repeats) repeats=${2:?--repeats needs a number}; shift ;;
        --dir) dir=${2:?--dir needs a path}; shift ;;
        --no-build) build=0 ;;
        --no-sqlite) sqlite=0 ;;
        --baseline) baseline=${2:?--baseline needs a signallog binary}; shift ;;
        --save) save=1 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "ingest-path.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$quick" = 1 ] && [ "$signals" = 1000000 ] && signals=20000
for tool in lz4 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "ingest-path.sh: needs $tool (apt-get install -y lz4 time)" >&2; exit 2; }
done

cd "$root"
if [ "$build" = 1 ]; then
    swift build -c release --product signallog >/dev/null
    swift build -c release --package-path tools/bench --scratch-path tools/bench/.build >/dev/null
fi
signallog="$root/.build/release/signallog"
bench="$root/tools/bench/.build/release/signallog-bench"
[ -x "$signallog" ] && [ -x "$bench" ] || { echo "ingest-path.sh: release binaries missing (run without --no-build)" >&2; exit 2; }

if [ -z "$dir" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/ingest-path.XXXXXX")
    trap 'rm -rf "$work"' EXIT
else
    work=$dir
    mkdir -p "$work"
fi
input="$work/signals.ndjson"
events="$work/cloudevents.ndjson"

"$bench" --generate-ndjson "$signals" "$input"
bytes=$(stat -c %s "$input")

# measure NAME COMMAND...: runs COMMAND `repeats` times under /usr/bin/time,
# keeps the fastest wall time (and that try's user + system CPU seconds) and
# the largest peak RSS in best_s, best_cpu and peak_kb.
# `prepare` (if set) runs before each try, untimed.
measure() {
    local name=$1; shift
    best_s="" best_cpu="" peak_kb=0
    for _ in $(seq "$repeats"); do
        [ -n "${prepare:-}" ] && eval "$prepare"
        /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
            echo "ingest-path.sh: $name failed:" >&2; cat "$work/err" "$work/out" >&2; exit 1; }
        read -r seconds kb user system <"$work/time"
        if [ -z "$best_s" ] || awk "BEGIN{exit !($seconds < $best_s)}"; then
            best_s=$seconds
            best_cpu=$(awk "BEGIN{print $user + $system}")
        fi
        # (an `if`: a false `[ ] &&` as the loop's last command would end the script under set -e)
        if [ "$kb" -gt "$peak_kb" ]; then peak_kb=$kb; fi
    done
}

# accepted FILE: the "accepted" count of an ingest --json summary.
accepted() { grep -o '"accepted" *: *[0-9]*' "$1" | grep -o '[0-9]*$'; }

check() {
    local name=$1 got=$2
    [ "$got" = "$signals" ] || { echo "ingest-path.sh: $name stored $got signals, expected $signals" >&2; exit 1; }
}

rows=()
row() { rows+=("$1;$2;$3;$4;$best_cpu"); }

prepare="rm -f '$work/out.lz4'"
measure "lz4 -1" lz4 -1 -q -f "$input" "$work/out.lz4"
lz4_s=$best_s
row "lz4 -1 of the file (the bound)" "$best_s" "$peak_kb" "$bytes"

# ingest_rows BIN LABEL: the file, stdin and CloudEvents rows for one binary.
ingest_rows() {
    local bin=$1 label=$2
    prepare="rm -rf '$work/log-file'"
    measure "ingest FILE$label" "$bin" ingest "$work/log-file" "$input" --quiet --json
    check "ingest FILE$label" "$(accepted "$work/out")"
    row "signallog ingest FILE$label" "$best_s" "$peak_kb" "$bytes"

    prepare="rm -rf '$work/log-stdin'"
    measure "ingest - (pipe)$label" sh -c "cat '$input' | '$bin' ingest '$work/log-stdin' - --quiet --json"
    check "ingest - (pipe)$label" "$(accepted "$work/out")"
    row "cat FILE | signallog ingest -$label" "$best_s" "$peak_kb" "$bytes"

    if [ ! -e "$events" ]; then "$signallog" cat "$work/log-file" --kind signal -o cloudevents >"$events"; fi
    event_bytes=$(stat -c %s "$events")
    prepare="rm -rf '$work/log-events'"
    measure "ingest CloudEvents$label" "$bin" ingest "$work/log-events" "$events" --quiet --json
    check "ingest CloudEvents$label" "$(accepted "$work/out")"
    row "signallog ingest CLOUDEVENTS-FILE$label" "$best_s" "$peak_kb" "$event_bytes"
    rm -rf "$work/log-file" "$work/log-stdin" "$work/log-events"
}
rm -f "$events"
ingest_rows "$signallog" ""
if [ -n "$baseline" ]; then
    [ -x "$baseline" ] || { echo "ingest-path.sh: --baseline $baseline is not an executable" >&2; exit 2; }
    ingest_rows "$baseline" " (baseline)"
fi

if [ "$sqlite" = 1 ]; then
    prepare="rm -f '$work/signals.db' '$work/signals.db-wal' '$work/signals.db-shm'"
    measure "SQLite import" "$bench" --sqlite-import "$input" "$work/signals.db"
    grep -q "imported $signals rows" "$work/out" || { echo "ingest-path.sh: SQLite import: $(cat "$work/out")" >&2; exit 1; }
    row "SQLite import (JSONSerialization, 1,000 rows a txn)" "$best_s" "$peak_kb" "$bytes"
    rm -f "$work/signals.db" "$work/signals.db-wal" "$work/signals.db-shm"
fi

# report: the table (stdout, and the results file with --save).
report() {
    # The time lz4 takes per signal also bounds the stdin and CloudEvents rows.
    echo "ingest path — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $commit"
    [ -n "$baseline" ] && echo "baseline: $baseline"
    echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $signals signals, $bytes bytes NDJSON ($((bytes / signals)) B/line), $event_bytes bytes CloudEvents; best of $repeats"
    printf '%-63s %8s %7s %11s %8s %9s %12s\n' "row" "wall s" "CPU s" "signals/s" "MB/s" "peak MiB" "of lz4 rate"
    printf '%-63s %8s %7s %11s %8s %9s %12s\n' "---" "------" "-----" "---------" "----" "--------" "-----------"
    for entry in "${rows[@]}"; do
        IFS=';' read -r name seconds kb size cpu <<<"$entry"
        awk -v name="$name" -v s="$seconds" -v cpu="$cpu" -v kb="$kb" -v size="$size" -v n="$signals" -v lz="$lz4_s" 'BEGIN {
            if (s <= 0) s = 0.005; if (lz <= 0) lz = 0.005
            rate = n / s
            unit = rate >= 1e6 ? sprintf("%.2f M", rate / 1e6) : sprintf("%.1f k", rate / 1e3)
            printf "%-63s %8.2f %7.2f %11s %8.1f %9.1f %12.3f\n", name, s, cpu, unit, size / s / 1e6, kb / 1024, lz / s
        }'
    done
}
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources tools 2>/dev/null || echo -dirty)
if [ "$save" = 1 ]; then
    mkdir -p "$root/tools/bench/results"
    results="$root/tools/bench/results/$(date -u +%Y-%m-%d)-$commit-ingest-path.txt"
    report | tee "$results"
    echo "saved $results" >&2
else
    report
fi
