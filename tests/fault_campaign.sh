#!/bin/sh
# Runs the fault campaign (issue 7, point 4): SIGKILL trials against the real
# binary and I/O errors through the library (tests/faults/campaign.rs), full
# members and corruption (tests/faults/enospc.rs, tests/faults/corrupt.rs), and
# crash states built from recorded writes (tests/faults/crash_states.rs); not part of
# `cargo test`. Prints one summary table (a crash state is a trial); exits
# non-zero when data was lost or a trial failed. Trial details (seeds) are in
# the log named at the end; FAULT_SEED=<seed> reruns one SIGKILL trial,
# FAULT_TRIALS=<n> sets the trials per command (default 44), FAULT_VICTIMS=PutTree,RmTree
# runs only the commands named; CRASH_STATES=<n>
# sets the crash states wanted (default 10000), CRASH_ONLY=<workload>:<point>
# reruns one flush point. Member damage (tests/faults/member_damage.rs): a
# member truncated, emptied or replaced by a stranger during a put, and two
# members written apart (split); FAULT_TRIALS sets its trials per kind too.
# A member lost during a 1 GiB mirrored put (tests/faults/large_put.rs, kind
# put1g: a member's tmpfs full, its image truncated or emptied, replaced by a
# stranger's image or rotted under a committed file, the put SIGKILLed, both
# members full); FAULT_LARGE_TRIALS sets its trials per fault (default 2),
# FAULT_LARGE_KINDS=emptied,stranger runs only the faults named.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/fault_campaign.XXXXXX.log")
start=$(date +%s)
cargo test --release --test faults -- --ignored --nocapture --test-threads 2 campaign:: member_damage:: >"$log" 2>&1
status=$?
cargo test --release --test faults -- --ignored --nocapture --test-threads 1 enospc:: corrupt:: >>"$log" 2>&1 || status=1
# 1 GiB puts, one at a time (each trial holds a few GiB of images).
cargo test --release --test faults -- --ignored --nocapture --test-threads 1 large_put:: >>"$log" 2>&1 || status=1
# The crash states use both cores themselves: after the others.
cargo test --release --test faults -- --ignored --nocapture crash_states:: >>"$log" 2>&1 || status=1
end=$(date +%s)
grep -E '^(DATA LOST|FAILURE)' "$log" | head -40
printf '\n%-10s %8s %10s %9s %20s %8s\n' kind trials data_lost failures repaired_divergence seconds
sed -n 's/^campaign: //p' "$log" | while read -r line; do
    eval "$(echo "$line" | tr ' ' '\n' | sed 's/^\([a-z_]*\)=/\1=/')"
    printf '%-10s %8s %10s %9s %20s %8s\n' "$kind" "$trials" "$data_lost" "$failures" "$repaired_divergence" "$seconds"
done
grep '^crash states:' "$log"
echo "wall time: $((end - start)) s (including the build); log: $log"
exit $status
