#!/usr/bin/env bash
# Cost of block checksums (issue 6): `nwvol put` of a 1 GiB file onto a
# fresh image formatted with and without checksums, alternately, 3 times
# each; prints the medians and their ratio, and writes them to
# bench/results/checksum.md. Needs a directory on a real disk (not tmpfs):
# NWVOL_BENCH_DIR, default /var/tmp. NWVOL_BENCH_MIB sets the file size.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "checksum.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
mib="${NWVOL_BENCH_MIB:-1024}"
cargo build --release --bin nwvol
bin="${CARGO_TARGET_DIR:-target}/release/nwvol"
work="$(mktemp -d "$dir/nwvol-csum-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
head -c "$((mib << 20))" /dev/urandom >"$work/src.bin"
img_size="$(( (mib + mib / 4 + 64) ))M"
run() { # $1: extra format flag (or empty); prints "elapsed cpu" seconds of the put
  rm -f "$work/img"
  "$bin" format --size "$img_size" ${1:+"$1"} "$work/img" >/dev/null
  sync
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$bin" put -d "$work/img" "$work/src.bin" SYS:/SRC.BIN >/dev/null; } 2>&1 )
  read -r real user sys <<<"$t"
  echo "$real $(echo "$user + $sys" | bc)"
}
with=() without=() with_cpu=() without_cpu=()
for _ in 1 2 3; do
  read -r r c <<<"$(run --no-checksums)"; without+=("$r"); without_cpu+=("$c")
  read -r r c <<<"$(run "")"; with+=("$r"); with_cpu+=("$c")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
mw=$(median "${with[@]}")
mo=$(median "${without[@]}")
cw=$(median "${with_cpu[@]}")
co=$(median "${without_cpu[@]}")
ratio=$(echo "scale=3; $mw / $mo" | bc)
cpu_ratio=$(echo "scale=3; $cw / $co" | bc)
mkdir -p bench/results
{
  echo "# Block checksums: cost of \`nwvol put\` of a ${mib} MiB file"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $dir ($(stat -f -c %T "$dir")), release build."
  echo
  echo "| run | without: elapsed (s) | without: CPU (s) | with: elapsed (s) | with: CPU (s) |"
  echo "|---|---:|---:|---:|---:|"
  for i in 0 1 2; do
    echo "| $((i + 1)) | ${without[$i]} | ${without_cpu[$i]} | ${with[$i]} | ${with_cpu[$i]} |"
  done
  echo "| median | $mo | $co | $mw | $cw |"
  echo
  echo "Ratio with / without (medians): elapsed **$ratio**, CPU (user + system) **$cpu_ratio**"
} | tee bench/results/checksum.md
if [ -n "${NWVOL_BENCH_RECORDS:-}" ]; then
  printf '{"kind":"figure","bench":"checksum","figure":"put of %s MiB with block checksums, time against without","nwvol":"%s s","baseline":"%s s","ratio":%s,"target":""}\n' \
    "$mib" "$mw" "$mo" "$(awk "BEGIN { printf \"%.3f\", $mo / $mw }")" >>"$NWVOL_BENCH_RECORDS"
fi
