#!/usr/bin/env bash
# The NBD benchmark (issue 8): a 2-way mirror of a local image and an NBD
# export on loopback (qemu-nbd) against a 2-way mirror of two local images.
# Writes the table to bench/results/nbd.md. Needs a directory on a real disk
# (not tmpfs): NWVOL_BENCH_DIR, default /var/tmp. Other knobs: see
# bench/nbd.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v qemu-nbd >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq qemu-utils >/dev/null
fi
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "nbd.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
export NWVOL_BENCH_DIR="$dir"
cargo bench --bench nbd
