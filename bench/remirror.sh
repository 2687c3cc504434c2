#!/usr/bin/env bash
# The remirror benchmark (issue 5): full remirror against dd, a 10%
# allocated volume, and a 1% resync. Writes bench/results/remirror.md.
# Needs a directory on a real disk (not tmpfs): NWVOL_BENCH_DIR, default
# /var/tmp. NWVOL_BENCH_REPS sets the repetitions (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "remirror.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
export NWVOL_BENCH_DIR="$dir"
cargo bench --bench remirror
