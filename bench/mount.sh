#!/usr/bin/env bash
# The mount benchmark (issue 17), each figure against a baseline measured
# in the same run:
#   - `cp -r` of a seeded tree of 10,000 files of 1-16 KiB into a mounted
#     2-way mirror (`nwvol mount`, then `nwvol umount`, which writes
#     everything back and syncs) against the same into a loop-mounted
#     kernel file system image (then `umount`): vfat where the kernel has
#     it, else ext4 (this machine's kernel has no vfat); target >= 0.5;
#   - `dd bs=1M` of 1 GiB into the mount (then umount) against `nwvol put`
#     of the same file; target >= 0.7;
#   - reading it back (`dd` out of a fresh mount) against `nwvol get`.
# Medians of NWVOL_BENCH_REPS runs (default 3), the page cache dropped
# before each timed command. Writes bench/results/mount.md. Needs root,
# fuse3 and a directory on a real disk: NWVOL_BENCH_DIR, default /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "mount.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
files="${NWVOL_BENCH_FILES:-10000}"
reps="${NWVOL_BENCH_REPS:-3}"
big_mib="${NWVOL_BENCH_MIB:-1024}"
cargo build --release --bin nwvol
bin="$PWD/${CARGO_TARGET_DIR:-target}/release/nwvol"
work="$(mktemp -d "$dir/nwvol-mount-bench.XXXXXX")"
cleanup() {
  for m in "$work/mnt" "$work/kmnt"; do
    fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/mnt" "$work/kmnt"
if grep -qw vfat /proc/filesystems; then kfs=vfat; else kfs=ext4; fi

python3 - "$work/TREE" "$files" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(16)
for i in range(n):
    d = os.path.join(root, "D%03d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "F%05d.BIN" % i), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 16384)))
EOF
head -c "$((big_mib << 20))" /dev/urandom >"$work/big.bin"

drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
timed() {
  drop
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  e=$(date +%s.%N)
  awk "BEGIN { printf \"%.3f\", $e - $s }"
}
fresh() {
  rm -f "$work"/m1.img "$work"/m2.img
  "$bin" format -q --size 2G --mirror "$work/m1.img" "$work/m2.img"
}
devs=(-d "$work/m1.img" -d "$work/m2.img")
nw_cp() { "$bin" mount "${devs[@]}" SYS "$work/mnt" && cp -r "$work/TREE" "$work/mnt/" && "$bin" umount "$work/mnt"; }
k_cp() { mount -o loop "$work/k.img" "$work/kmnt" && cp -r "$work/TREE" "$work/kmnt/" && umount "$work/kmnt"; }
nw_dd() { "$bin" mount "${devs[@]}" SYS "$work/mnt" && dd if="$work/big.bin" of="$work/mnt/BIG.BIN" bs=1M && "$bin" umount "$work/mnt"; }
nw_put() { "$bin" put -q "${devs[@]}" "$work/big.bin" SYS:/BIG.BIN; }
nw_ddout() { "$bin" mount -o ro "${devs[@]}" SYS "$work/mnt" && dd if="$work/mnt/BIG.BIN" of="$work/out.bin" bs=1M && "$bin" umount "$work/mnt"; }
nw_get() { "$bin" get -q "${devs[@]}" SYS:/BIG.BIN "$work/out.bin"; }

declare -A T
add() { T[$1]="${T[$1]:-} $2"; }
for _ in $(seq "$reps"); do
  rm -f "$work/k.img"
  truncate -s 2G "$work/k.img"
  if [ "$kfs" = vfat ]; then mkfs.vfat -F 32 "$work/k.img" >/dev/null; else mkfs.ext4 -q -F "$work/k.img"; fi
  add k_cp "$(timed k_cp)"
  rm -f "$work/k.img"
  fresh
  add nw_cp "$(timed nw_cp)"
  fresh
  add nw_dd "$(timed nw_dd)"
  add nw_ddout "$(timed nw_ddout)"
  cmp "$work/big.bin" "$work/out.bin"
  rm -f "$work/out.bin"
  fresh
  add nw_put "$(timed nw_put)"
  add nw_get "$(timed nw_get)"
  cmp "$work/big.bin" "$work/out.bin"
  rm -f "$work/out.bin"
done

median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
rows=()
for spec in "cp -r of $files files of 1-16 KiB into the mount (and umount)|nw_cp|k_cp|cp -r into loop-mounted $kfs (and umount)|>= 0.5" \
  "dd bs=1M of $big_mib MiB into the mount (and umount)|nw_dd|nw_put|nwvol put|>= 0.7" \
  "dd bs=1M of $big_mib MiB out of the mount|nw_ddout|nw_get|nwvol get|"; do
  IFS='|' read -r fig k b bname target <<<"$spec"
  n=$(median "${T[$k]}")
  m=$(median "${T[$b]}")
  rows+=("$fig|$n|$m|$bname|$(ratio "$m" "$n")|$target|${T[$k]}|${T[$b]}")
done
mkdir -p bench/results
{
  echo "# nwvol mount: against the kernel's own file system and nwvol put/get"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $dir ($(stat -f -c %T "$dir")), release build," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), medians of $reps, page cache dropped before each command."
  echo "2-way mirror of 2 GiB image files. Speed ratio: baseline seconds / nwvol seconds."
  echo
  echo "| figure | nwvol (s) | baseline (s) | baseline | speed ratio | target | nwvol runs | baseline runs |"
  echo "|---|---:|---:|---|---:|---|---|---|"
  for r in "${rows[@]}"; do
    IFS='|' read -r fig n m bname q target nr br <<<"$r"
    echo "| $fig | $n | $m | $bname | **$q** | $target |$nr |$br |"
  done
} | tee bench/results/mount.md
if [ -n "${NWVOL_BENCH_RECORDS:-}" ]; then
  for r in "${rows[@]}"; do
    IFS='|' read -r fig n m bname q target _ _ <<<"$r"
    printf '{"kind":"figure","bench":"mount","figure":"%s, speed against %s","nwvol":"%s s","baseline":"%s s","ratio":%s,"target":"%s"}\n' \
      "$fig" "$bname" "$n" "$m" "$q" "$target" >>"$NWVOL_BENCH_RECORDS"
  done
fi
