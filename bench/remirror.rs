//! Remirror benchmark (issue 5): through the real binary on image files,
//! in one run:
//!
//! 1. full remirror (`mirror add`) of a 1 GiB logical partition whose
//!    volume is full, against `dd bs=1M conv=fdatasync` of the same number
//!    of bytes from the same image (target: nwvol >= 0.8 of dd's rate);
//! 2. `mirror add` of a volume 10% allocated (target: <= 0.2 of 1's time);
//! 3. `mirror resume` after 1% of the volume was written with the member
//!    absent (target: <= 0.05 of 1's time).
//!
//! Run it with bench/remirror.sh (picks a directory on a real disk). Prints
//! a Markdown table and writes it to bench/results/remirror.md.
//!
//! Options (environment): NWVOL_BENCH_DIR (scratch directory, on a real
//! disk, default /var/tmp), NWVOL_BENCH_REPS (default 3).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;

use common::*;

/// Seconds of `mirror add` from `src` to a fresh sparse `dst`, then the
/// member is removed again.
fn add(src: &Path, dst: &Path) -> (f64, u64) {
    sparse(dst, 1100 * MIB);
    drop_caches();
    let t = Instant::now();
    let out = nwvol(&["mirror", "add", "--json", "-d", s(src), s(dst)]);
    let secs = t.elapsed().as_secs_f64();
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let copied = last["copied_bytes"].as_u64().unwrap();
    nwvol(&["mirror", "remove", "-d", s(src), "-d", s(dst), s(dst)]);
    let _ = std::fs::remove_file(dst);
    (secs, copied)
}

fn dd(src: &Path, dst: &Path, mib: u64) -> f64 {
    let _ = std::fs::remove_file(dst);
    drop_caches();
    let t = Instant::now();
    let st = Command::new("dd")
        .arg(format!("if={}", s(src)))
        .arg(format!("of={}", s(dst)))
        .args([
            "bs=1M",
            &format!("count={mib}"),
            "conv=fdatasync",
            "status=none",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(dst);
    secs
}

fn main() {
    let dir = PathBuf::from(std::env::var("NWVOL_BENCH_DIR").unwrap_or_else(|_| "/var/tmp".into()))
        .join(format!("nwvol-remirror-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reps: usize = std::env::var("NWVOL_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let p = |n: &str| dir.join(n);
    eprintln!(
        "nwvol remirror bench: {reps} repetitions in {}",
        dir.display()
    );

    // Full: one member whose volume is full.
    let full = p("full.img");
    nwvol(&["format", "--size", "1G", s(&full)]);
    let lb = logical_bytes(&full);
    let fill = free_bytes(&full);
    data_file(&p("fill.bin"), fill, 1);
    nwvol(&["put", "-d", s(&full), s(&p("fill.bin")), "SYS:/FILL.BIN"]);
    // 10%: another member with a tenth of the volume used.
    let tenth = p("tenth.img");
    nwvol(&["format", "--size", "1G", s(&tenth)]);
    data_file(&p("tenth.bin"), free_bytes(&tenth) / 10, 2);
    nwvol(&["put", "-d", s(&tenth), s(&p("tenth.bin")), "SYS:/TENTH.BIN"]);
    let _ = std::fs::remove_file(p("fill.bin"));
    let _ = std::fs::remove_file(p("tenth.bin"));
    // Resync: a two-way mirror; 1% written with the second member absent.
    let (r0, r1) = (p("r0.img"), p("r1.img"));
    nwvol(&["format", "--size", "1G", "--mirror", s(&r0), s(&r1)]);
    data_file(&p("one.bin"), lb / 100, 3);

    let (mut t_full, mut t_dd, mut t_tenth, mut t_resync) = (vec![], vec![], vec![], vec![]);
    let (mut c_full, mut c_tenth, mut c_resync) = (0, 0, 0);
    for r in 0..reps {
        let (t, c) = add(&full, &p("new.img"));
        t_full.push(t);
        c_full = c;
        t_dd.push(dd(&full, &p("dd.img"), lb / MIB));
        let (t, c) = add(&tenth, &p("new.img"));
        t_tenth.push(t);
        c_tenth = c;
        nwvol(&[
            "put",
            "-d",
            s(&r0),
            s(&p("one.bin")),
            &format!("SYS:/ONE{r}.BIN"),
        ]);
        drop_caches();
        let t = Instant::now();
        let out = nwvol(&["mirror", "resume", "--json", "-d", s(&r0), "-d", s(&r1)]);
        t_resync.push(t.elapsed().as_secs_f64());
        let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        c_resync = last["copied_bytes"].as_u64().unwrap();
        eprintln!(
            "  run {}: full {:.2} s, dd {:.2} s, 10% {:.2} s, resync {:.2} s",
            r + 1,
            t_full[r],
            t_dd[r],
            t_tenth[r],
            t_resync[r]
        );
    }
    let (f, d, t, x) = (
        median(t_full),
        median(t_dd),
        median(t_tenth),
        median(t_resync),
    );
    let mbs = |bytes: u64, secs: f64| bytes as f64 / 1e6 / secs;
    let mut out = String::new();
    out.push_str(&format!(
        "# nwvol remirror benchmark\n\nImage files in {} (page cache dropped before each run), \
release build, the real binary (`nwvol mirror add` / `mirror resume`, process start and \
assembly included). Logical partition {} MiB. Medians of {reps} runs.\n\n",
        dir.parent().unwrap().display(),
        lb / MIB
    ));
    out.push_str("| measurement | bytes copied | seconds | MB/s | ratio | target |\n|---|---:|---:|---:|---:|---|\n");
    out.push_str(&format!(
        "| dd bs=1M conv=fdatasync, {} MiB of the image | {} | {d:.2} | {:.0} | 1.00 | |\n",
        lb / MIB,
        lb,
        mbs(lb, d)
    ));
    out.push_str(&format!(
        "| full remirror (volume full) | {c_full} | {f:.2} | {:.0} | {:.2} of dd's rate | >= 0.8 |\n",
        mbs(c_full, f),
        mbs(c_full, f) / mbs(lb, d)
    ));
    out.push_str(&format!(
        "| remirror, volume 10% allocated | {c_tenth} | {t:.2} | {:.0} | {:.3} of full's time | <= 0.2 |\n",
        mbs(c_tenth, t),
        t / f
    ));
    out.push_str(&format!(
        "| resync after 1% written with a member absent | {c_resync} | {x:.2} | {:.0} | {:.3} of full's time | <= 0.05 |\n",
        mbs(c_resync, x),
        x / f
    ));
    record_figure(
        "remirror",
        "full remirror (volume full), rate against dd",
        &format!("{:.0} MB/s", mbs(c_full, f)),
        &format!("{:.0} MB/s", mbs(lb, d)),
        mbs(c_full, f) / mbs(lb, d),
        ">= 0.8",
    );
    record_figure(
        "remirror",
        "remirror of a 10% allocated volume, time against full remirror",
        &format!("{t:.2} s"),
        &format!("{f:.2} s"),
        t / f,
        "<= 0.2",
    );
    record_figure(
        "remirror",
        "resync after 1% written with a member absent, time against full remirror",
        &format!("{x:.2} s"),
        &format!("{f:.2} s"),
        x / f,
        "<= 0.05",
    );
    println!("{out}");
    std::fs::create_dir_all("bench/results").unwrap();
    std::fs::write("bench/results/remirror.md", &out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
