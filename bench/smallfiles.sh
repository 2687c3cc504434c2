#!/usr/bin/env bash
# The small-files benchmark (issue 16): a seeded tree of 10,000 files of
# 1-16 KiB (about 100 MB, 100 directories of 100 files), against mtools on
# a FAT32 image of the same size, measured in the same run:
#   - `nwvol put -r` into a 2-way mirror and into a 1-way volume, against
#     `mcopy -s` into the FAT32 image followed by `sync` of it;
#   - `nwvol get -r` of the tree (2-way and 1-way) against `mcopy -s` out;
#   - `nwvol rm -r` of it against `mdeltree` followed by `sync` of it;
#   - space: the 2-way volume's `df` used bytes over the tree's
#     `du --apparent-size` (1 GiB images formatted with defaults).
# Medians of NWVOL_BENCH_REPS runs (default 3), the page cache dropped
# before each timed command. Writes bench/results/smallfiles.md. Needs a
# directory on a real disk (not tmpfs): NWVOL_BENCH_DIR, default /var/tmp.
# NWVOL_BENCH_FILES sets the number of files (default 10000). Installs
# mtools and dosfstools when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${NWVOL_BENCH_DIR:-/var/tmp}"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "smallfiles.sh: $dir is tmpfs; set NWVOL_BENCH_DIR to a directory on a real disk" >&2
  exit 2
fi
if ! command -v mcopy >/dev/null || ! command -v mkfs.vfat >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq mtools dosfstools >/dev/null
fi
files="${NWVOL_BENCH_FILES:-10000}"
reps="${NWVOL_BENCH_REPS:-3}"
cargo build --release --bin nwvol
bin="$PWD/${CARGO_TARGET_DIR:-target}/release/nwvol"
work="$(mktemp -d "$dir/nwvol-smallfiles-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export MTOOLS_SKIP_CHECK=1

# The tree: seeded sizes and contents, 8.3 upper-case names (no long-name
# entries on either side).
python3 - "$work/TREE" "$files" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(16)
for i in range(n):
    d = os.path.join(root, "D%03d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    size = rng.randint(1024, 16384)
    with open(os.path.join(d, "F%05d.BIN" % i), "wb") as f:
        f.write(rng.randbytes(size))
EOF
apparent=$(du -s --apparent-size -B1 "$work/TREE" | cut -f1)
tree_mb=$(awk "BEGIN { printf \"%.1f\", $apparent / 1e6 }")

drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
# Seconds of one command (after dropping the page cache).
timed() {
  drop
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null
  e=$(date +%s.%N)
  awk "BEGIN { printf \"%.3f\", $e - $s }"
}
fat_put() { mcopy -s -i "$work/fat.img" "$work/TREE" ::/ && sync "$work/fat.img"; }
fat_rm() { mdeltree -i "$work/fat.img" ::/TREE && sync "$work/fat.img"; }

declare -A T
add() { T[$1]="${T[$1]:-} $2"; }
space=""
for _ in $(seq "$reps"); do
  # FAT32 baseline.
  rm -rf "$work/fat.img" "$work/out"
  truncate -s 1G "$work/fat.img"
  mkfs.vfat -F 32 "$work/fat.img" >/dev/null
  add fat_put "$(timed fat_put)"
  add fat_get "$(timed mcopy -s -i "$work/fat.img" ::/TREE "$work/out")"
  rm -rf "$work/out"
  add fat_rm "$(timed fat_rm)"
  rm -f "$work/fat.img"
  # nwvol, 2-way and 1-way, 1 GiB images with the default format.
  for way in 2 1; do
    rm -f "$work"/m*.img
    devs=()
    imgs=()
    for m in $(seq "$way"); do
      devs+=(-d "$work/m$m.img")
      imgs+=("$work/m$m.img")
    done
    if [ "$way" = 2 ]; then
      "$bin" format -q --size 1G --mirror "${imgs[@]}"
    else
      "$bin" format -q --size 1G "${imgs[@]}"
    fi
    add "put$way" "$(timed "$bin" put -q -r "${devs[@]}" "$work/TREE" SYS:/)"
    if [ "$way" = 2 ] && [ -z "$space" ]; then
      used=$("$bin" df --json "${devs[@]}" SYS | python3 -c 'import json,sys; print(json.load(sys.stdin)["volumes"][0]["used_bytes"])')
      space=$(awk "BEGIN { printf \"%.3f\", $used / $apparent }")
      used_mb=$(awk "BEGIN { printf \"%.1f\", $used / 1e6 }")
    fi
    add "get$way" "$(timed "$bin" get -q -r "${devs[@]}" SYS:/TREE "$work/out")"
    rm -rf "$work/out"
    add "rm$way" "$(timed "$bin" rm -q -r "${devs[@]}" SYS:/TREE)"
    rm -f "${imgs[@]}"
  done
done

median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
rows=()
# figure, nwvol key, baseline key, baseline name
for spec in "put -r, 2-way|put2|fat_put|mcopy -s in + sync" \
  "put -r, 1-way|put1|fat_put|mcopy -s in + sync" \
  "get -r, 2-way|get2|fat_get|mcopy -s out" \
  "get -r, 1-way|get1|fat_get|mcopy -s out" \
  "rm -r, 2-way|rm2|fat_rm|mdeltree + sync" \
  "rm -r, 1-way|rm1|fat_rm|mdeltree + sync"; do
  IFS='|' read -r fig k b bname <<<"$spec"
  n=$(median "${T[$k]}")
  m=$(median "${T[$b]}")
  rows+=("$fig|$n|$m|$bname|$(ratio "$m" "$n")|${T[$k]}|${T[$b]}")
done
mkdir -p bench/results
{
  echo "# Small files: $files files of 1-16 KiB ($tree_mb MB) against mtools on FAT32"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $dir ($(stat -f -c %T "$dir")), release build," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), medians of $reps, page cache dropped before each command."
  echo "Speed ratio: baseline seconds / nwvol seconds (target >= 1.0)."
  echo
  echo "| figure | nwvol (s) | baseline (s) | baseline | speed ratio | nwvol runs | baseline runs |"
  echo "|---|---:|---:|---|---:|---|---|"
  for r in "${rows[@]}"; do
    IFS='|' read -r fig n m bname q nr br <<<"$r"
    echo "| $fig | $n | $m | $bname | **$q** |$nr |$br |"
  done
  echo
  echo "Space: a 1 GiB 2-way volume formatted with defaults holds the tree in" \
    "$used_mb MB used (\`df\`, empty-volume metadata included) for $tree_mb MB" \
    "apparent (\`du --apparent-size\`): **$space** (target <= 1.5)."
} | tee bench/results/smallfiles.md
if [ -n "${NWVOL_BENCH_RECORDS:-}" ]; then
  for r in "${rows[@]}"; do
    IFS='|' read -r fig n m bname q _ _ <<<"$r"
    printf '{"kind":"figure","bench":"smallfiles","figure":"%s of %s files of 1-16 KiB, speed against %s","nwvol":"%s s","baseline":"%s s","ratio":%s,"target":">= 1.0"}\n' \
      "$fig" "$files" "$bname" "$n" "$m" "$q" >>"$NWVOL_BENCH_RECORDS"
  done
  printf '{"kind":"figure","bench":"smallfiles","figure":"space of the tree on a default 1 GiB 2-way volume: df used / du --apparent-size","nwvol":"%s MB","baseline":"%s MB","ratio":%s,"target":"<= 1.5"}\n' \
    "$used_mb" "$tree_mb" "$space" >>"$NWVOL_BENCH_RECORDS"
fi
