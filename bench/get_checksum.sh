#!/usr/bin/env bash
# Cost of checking every block read against its checksum (issue 15):
# `nwvol get` of a 1 GiB file from an image formatted with checksums
# against one formatted without (nothing to check), 3 times each,
# alternately; prints the medians and the ratio of speeds (without / with
# time, so 1.0 is free; the target is at least 0.9) and writes them to
# bench/results/get_checksum.md. Needs a directory on a real disk (not
# tmpfs): NWVOL_BENCH_DIR, default /var/tmp. NWVOL_BENCH_MIB sets the size;
# NWVOL_BENCH_NO_BUILD=1 uses the release binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "get_checksum.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
mib="${NWVOL_BENCH_MIB:-1024}"
[ -n "${NWVOL_BENCH_NO_BUILD:-}" ] || cargo build --release --bin nwvol
bin="${CARGO_TARGET_DIR:-target}/release/nwvol"
work="$(mktemp -d "$dir/nwvol-getcsum-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
head -c "$((mib << 20))" /dev/urandom >"$work/src.bin"
img_size="$(( (mib + mib / 4 + 64) ))M"
"$bin" format --size "$img_size" "$work/with.img" >/dev/null
"$bin" format --size "$img_size" --no-checksums "$work/without.img" >/dev/null
"$bin" put -d "$work/with.img" "$work/src.bin" SYS:/SRC.BIN
"$bin" put -d "$work/without.img" "$work/src.bin" SYS:/SRC.BIN
sync
run() { # $1: image; prints the elapsed seconds of the get
  rm -f "$work/out.bin"
  local TIMEFORMAT='%R' t
  t=$( { time "$bin" get -d "$1" SYS:/SRC.BIN "$work/out.bin" >/dev/null; } 2>&1 )
  cmp -s "$work/out.bin" "$work/src.bin" || { echo "get_checksum.sh: $1: wrong bytes" >&2; exit 1; }
  echo "$t"
}
with=() without=()
for _ in 1 2 3; do
  without+=("$(run "$work/without.img")")
  with+=("$(run "$work/with.img")")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
mw=$(median "${with[@]}")
mo=$(median "${without[@]}")
ratio=$(echo "scale=3; $mo / $mw" | bc)
mkdir -p bench/results
{
  echo "# Checked reads: \`nwvol get\` of a ${mib} MiB file, with and without block checksums"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $dir ($(stat -f -c %T "$dir")), release build, image files in the page cache."
  echo
  echo "| run | without: elapsed (s) | with: elapsed (s) |"
  echo "|---|---:|---:|"
  for i in 0 1 2; do
    echo "| $((i + 1)) | ${without[$i]} | ${with[$i]} |"
  done
  echo "| median | $mo | $mw |"
  echo
  echo "Speed with checks / without (medians): **$ratio** (target: at least 0.9)"
} | tee bench/results/get_checksum.md
