#!/usr/bin/env bash
# Runs every benchmark (engine, remirror, verify, NBD, checksums, small
# files, the FUSE mount) in one go and writes bench/results/REPORT.md (figure, nwvol,
# baseline, ratio, target) and bench/results/throughput.png (write
# throughput against the number of mirror members). Each benchmark also
# keeps its own table in bench/results/. Needs a directory on a real disk:
# NWVOL_BENCH_DIR, default /var/tmp. The raw figures go to bench/results/records.jsonl.
# Installs fio, qemu-utils and matplotlib when missing.
# Takes about 15 minutes on 2 cores; NWVOL_BENCH_MIB / NWVOL_BENCH_REPS
# make it shorter (see each benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
# The raw figures, kept beside the report (report.py can be rerun on them).
records="$PWD/bench/results/records.jsonl"
mkdir -p bench/results
rm -f "$records"
export NWVOL_BENCH_RECORDS="$records"
if ! python3 -c 'import matplotlib' 2>/dev/null; then
  python3 -m pip install --quiet matplotlib
fi
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
for b in engine remirror verify nbd checksum smallfiles mount; do
  echo "== bench/$b.sh" >&2
  bash "bench/$b.sh" >&2
done
python3 bench/report.py "$records" bench/results "$started"
echo "wrote bench/results/REPORT.md and bench/results/throughput.png" >&2
