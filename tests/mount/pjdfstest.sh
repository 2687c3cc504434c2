#!/usr/bin/env bash
# Runs pjdfstest against a fresh 2-way mirror mounted with nwvol mount and
# remakes docs/pjdfstest.md (results per group, the reason for each
# failure); prints the expected_failures list for pjdfstest.toml. Needs
# root (pjdfstest switches users), fuse3 and `cargo install --locked
# pjdfstest@0.2.2`.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
nwvol=target/release/nwvol
work=$(mktemp -d)
trap 'fusermount3 -u "$work/mnt" 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT
"$nwvol" format --size 4G --mirror "$work/a.img" "$work/b.img" >/dev/null
mkdir "$work/mnt"
"$nwvol" mount -o allow_other -d "$work/a.img" -d "$work/b.img" SYS "$work/mnt"
mkdir "$work/mnt/pjd"
chmod 777 "$work/mnt/pjd"
# Without the expected failures, so that the report lists every one.
grep -v '^    "' tests/mount/pjdfstest.toml > "$work/all.toml"
NO_COLOR=1 pjdfstest -c "$work/all.toml" -p "$work/mnt/pjd" > "$work/out.txt" || true
"$nwvol" umount "$work/mnt"
"$nwvol" verify -d "$work/a.img" -d "$work/b.img"
python3 tests/mount/pjdfstest_report.py "$work/out.txt" docs/pjdfstest.md
