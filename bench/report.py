"""Turns the records of bench/report.sh into bench/results/REPORT.md and
bench/results/throughput.png.

Usage: report.py RECORDS OUT_DIR STARTED
"""
import json
import os
import platform
import sys

import matplotlib

matplotlib.use("Agg")  # no display: write a file
import matplotlib.pyplot as plt


def met(ratio, target):
    """'yes'/'no' against a target like '>= 0.9' or '<= 0.2', '' without one."""
    if not target:
        return ""
    op, value = target.split()
    ok = ratio >= float(value) if op == ">=" else ratio <= float(value)
    return "yes" if ok else "**no**"


def main():
    records_path, out_dir, started = sys.argv[1:4]
    with open(records_path) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    figures = [r for r in recs if r["kind"] == "figure"]
    points = [r for r in recs if r["kind"] == "point"]

    lines = [
        "# nwvol benchmark report",
        "",
        f"Made by `bench/report.sh` on {started}: {os.cpu_count()} cores, "
        f"{platform.machine()}, Linux {platform.release()}. Every ratio is "
        "nwvol against a baseline measured in the same run (medians); the "
        "details and notes are in each benchmark's own table beside this file.",
        "",
        "| benchmark | figure | nwvol | baseline | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in figures:
        lines.append(
            f"| {r['bench']} | {r['figure']} | {r['nwvol']} | {r['baseline']} "
            f"| {r['ratio']:.2f} | {r['target']} | {met(r['ratio'], r['target'])} |"
        )
    lines += ["", "![write throughput against mirror members](throughput.png)", ""]
    with open(os.path.join(out_dir, "REPORT.md"), "w") as f:
        f.write("\n".join(lines))

    series = {}
    for p in points:
        series.setdefault(p["series"], []).append((p["members"], p["mb_per_s"]))
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, pts in series.items():
        pts.sort()
        style = "-o" if name.startswith("nwvol") else "--s"
        ax.plot([m for m, _ in pts], [v for _, v in pts], style, label=name)
    members = sorted({p["members"] for p in points})
    ax.set_xscale("log", base=2)
    ax.set_xticks(members, [str(m) for m in members])
    ax.set_xlabel("mirror members (image files on one disk)")
    ax.set_ylabel("MB/s of data each member receives")
    ax.set_title("Sequential write through the cache, sync at the end (medians)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "throughput.png"))


if __name__ == "__main__":
    main()
