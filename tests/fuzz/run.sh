#!/bin/sh
# Runs nwvol's fuzz targets one after the other, SECONDS each (default 600),
# all of them or those named. Needs cargo-fuzz and a nightly toolchain:
#   cargo install cargo-fuzz
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Corpora grow in tests/fuzz/corpus/TARGET, crashes land in
# tests/fuzz/artifacts/TARGET, libFuzzer's output in tests/fuzz/logs/TARGET.log.
# The inputs in tests/fuzz/regressions/TARGET seed each run.
set -eu
cd "$(dirname "$0")"
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-"open_image voltab hotfix_table mirror_header dirent longname sectors fat_checksum nbd"}
mkdir -p logs
cargo +nightly fuzz build --fuzz-dir . -O
status=0
for t in $targets; do
    mkdir -p "corpus/$t" "regressions/$t"
    echo "$(date -u +%H:%M:%S) $t: ${secs}s"
    if ! ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:malloc_context_size=0} \
        cargo +nightly fuzz run --fuzz-dir . -O "$t" "corpus/$t" "regressions/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        >"logs/$t.log" 2>&1; then
        echo "$t: FAILED: see logs/$t.log and artifacts/$t/"
        status=1
    fi
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "logs/$t.log" || true
done
exit $status
