#!/usr/bin/env bash
# The verify benchmark (issue 6): verify of a 2-way and a 4-way mirror of
# 1 GiB against cmp. Writes bench/results/verify.md. Needs a directory on a
# real disk (not tmpfs): NWVOL_BENCH_DIR, default /var/tmp.
# NWVOL_BENCH_REPS sets the repetitions (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "verify.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
export NWVOL_BENCH_DIR="$dir"
cargo bench --bench verify
