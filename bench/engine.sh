#!/usr/bin/env bash
# The engine benchmark (issue 3): nwvol's cache and mirrored writer against
# concurrent dd and fio on 1, 2, 4 and 8 image files. Writes the table to
# bench/results/engine.md. Needs a directory on a real disk (not tmpfs):
# NWVOL_BENCH_DIR, default /var/tmp. Other knobs: see bench/engine.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v fio >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq fio >/dev/null
fi
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "engine.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
export NWVOL_BENCH_DIR="$dir"
cargo bench --bench engine
