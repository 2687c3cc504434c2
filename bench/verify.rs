//! Verify benchmark (issue 6): `nwvol verify` of a 2-way and a 4-way
//! mirror of 1 GiB images whose volume is full, against `cmp` of the first
//! two members' image files, measured in the same run with the page cache
//! dropped before each run. Target: 2-way verify at least as fast as cmp.
//! Also verify of a 4 GiB 2-way mirror 10% full against the same mirror
//! full (issue 16: verify reads what is allocated). Target: at most 0.2.
//!
//! Run it with bench/verify.sh. Prints a Markdown table and writes it to
//! bench/results/verify.md. Options (environment): NWVOL_BENCH_DIR
//! (scratch directory on a real disk, default /var/tmp), NWVOL_BENCH_REPS
//! (default 5: single runs on a shared machine vary by 2x).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;

/// Seconds of one `nwvol verify` over `imgs` (exit 0 required).
fn verify(imgs: &[PathBuf]) -> f64 {
    let mut args: Vec<String> = vec!["verify".into(), "--json".into()];
    for p in imgs {
        args.push("-d".into());
        args.push(s(p).into());
    }
    drop_caches();
    let t = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_nwvol"))
        .args(&args)
        .output()
        .expect("run nwvol verify");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(
        o.status.code(),
        Some(0),
        "verify: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    secs
}

/// Where each member's logical partition starts, and its size.
fn logical_layout(imgs: &[PathBuf]) -> (Vec<u64>, u64) {
    let mut args = vec!["inspect", "--json"];
    for p in imgs {
        args.push("-d");
        args.push(s(p));
    }
    let v: serde_json::Value = serde_json::from_str(&nwvol(&args)).unwrap();
    let g = &v["groups"][0];
    let starts = g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["logical_start_byte"].as_u64().unwrap())
        .collect();
    (starts, g["logical_bytes"].as_u64().unwrap())
}

/// Seconds of `cmp` of the logical partitions of `a` and `b` (the same
/// bytes verify compares; they must be equal).
fn cmp(a: &Path, b: &Path, starts: &[u64], len: u64) -> f64 {
    drop_caches();
    let t = Instant::now();
    let st = Command::new("cmp")
        .arg(format!("--ignore-initial={}:{}", starts[0], starts[1]))
        .arg(format!("--bytes={len}"))
        .arg(a)
        .arg(b)
        .status()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(st.success(), "cmp found the members' images different");
    secs
}

/// A full mirror of `n` 1 GiB images.
fn mirror(dir: &Path, n: usize, fill: &Path) -> Vec<PathBuf> {
    let imgs: Vec<PathBuf> = (0..n).map(|i| dir.join(format!("m{n}-{i}.img"))).collect();
    let mut args = vec!["format", "-q", "--size", "1G", "--mirror"];
    args.extend(imgs.iter().map(|p| s(p)));
    nwvol(&args);
    let free = free_bytes(&imgs[0]);
    if std::fs::metadata(fill).map(|m| m.len()).unwrap_or(0) < free {
        data_file(fill, free, 7);
    }
    let mut put = vec!["put", "-q"];
    for p in &imgs {
        put.push("-d");
        put.push(s(p));
    }
    // Exactly the free bytes: the volume ends up full.
    let part = dir.join(format!("fill-{n}.bin"));
    std::fs::copy(fill, &part).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .unwrap()
        .set_len(free)
        .unwrap();
    put.push(s(&part));
    put.push("SYS:/FILL.BIN");
    nwvol(&put);
    let _ = std::fs::remove_file(&part);
    imgs
}

/// Puts the first `bytes` of `fill` (made when short) as `name`.
fn put_part(dir: &Path, imgs: &[PathBuf], fill: &Path, bytes: u64, name: &str) {
    if std::fs::metadata(fill).map(|m| m.len()).unwrap_or(0) < bytes {
        data_file(fill, bytes, 11);
    }
    let part = dir.join("part.bin");
    std::fs::copy(fill, &part).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .unwrap()
        .set_len(bytes)
        .unwrap();
    let mut put = vec!["put", "-q"];
    for p in imgs {
        put.push("-d");
        put.push(s(p));
    }
    let to = format!("SYS:/{name}");
    put.push(s(&part));
    put.push(&to);
    nwvol(&put);
    let _ = std::fs::remove_file(&part);
}

/// Median seconds of verify of a 4 GiB 2-way mirror 10% full, then of the
/// same mirror full.
fn sparse_against_full(dir: &Path, reps: usize) -> (f64, f64) {
    let imgs: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("s{i}.img"))).collect();
    let mut args = vec!["format", "-q", "--size", "4G", "--mirror"];
    args.extend(imgs.iter().map(|p| s(p)));
    nwvol(&args);
    let fill = dir.join("sparse-fill.bin");
    let free = free_bytes(&imgs[0]);
    let tenth = free / 10;
    put_part(dir, &imgs, &fill, tenth, "TENTH.BIN");
    let sparse: Vec<f64> = (0..reps).map(|_| verify(&imgs)).collect();
    let rest = free_bytes(&imgs[0]);
    put_part(dir, &imgs, &fill, rest, "REST.BIN");
    let _ = std::fs::remove_file(&fill);
    let full: Vec<f64> = (0..reps).map(|_| verify(&imgs)).collect();
    eprintln!("  4 GiB 2-way: 10% full {sparse:.2?} s, full {full:.2?} s");
    for p in &imgs {
        let _ = std::fs::remove_file(p);
    }
    (median(sparse), median(full))
}

fn main() {
    let dir = PathBuf::from(std::env::var("NWVOL_BENCH_DIR").unwrap_or_else(|_| "/var/tmp".into()))
        .join(format!("nwvol-verify-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reps: usize = std::env::var("NWVOL_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    eprintln!(
        "nwvol verify bench: {reps} repetitions in {}",
        dir.display()
    );
    let fill = dir.join("fill.bin");
    let two = mirror(&dir, 2, &fill);
    let four = mirror(&dir, 4, &fill);
    let _ = std::fs::remove_file(&fill);
    let (starts, lb) = logical_layout(&two);
    let bytes = lb as f64;

    let (mut c, mut v2, mut v4) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..reps {
        c.push(cmp(&two[0], &two[1], &starts, lb));
        v2.push(verify(&two));
        v4.push(verify(&four));
        eprintln!(
            "  rep {}: cmp {:.2} s, verify 2-way {:.2} s, 4-way {:.2} s",
            r + 1,
            c[r],
            v2[r],
            v4[r]
        );
    }
    let (c, v2, v4) = (median(c), median(v2), median(v4));
    let mibs = |secs: f64| bytes / secs / MIB as f64;
    let mut md = String::new();
    md.push_str("# Verify benchmark\n\n");
    md.push_str(&format!(
        "1 GiB image files, volume full of data, page cache dropped before every run; median of {reps}. \
Rates are per member (logical partition bytes / seconds). `cmp` compares the logical \
partitions of the 2-way mirror's two image files (`cmp --ignore-initial --bytes`), the bytes verify compares.\n\n"
    ));
    md.push_str("| figure | nwvol | baseline (cmp) | ratio | target |\n|---|---:|---:|---:|---|\n");
    md.push_str(&format!(
        "| verify 2-way mirror | {:.2} s ({:.0} MiB/s) | {:.2} s ({:.0} MiB/s) | {:.2} | >= 1.0 |\n",
        v2,
        mibs(v2),
        c,
        mibs(c),
        c / v2
    ));
    md.push_str(&format!(
        "| verify 4-way mirror | {:.2} s ({:.0} MiB/s) | {:.2} s ({:.0} MiB/s) | {:.2} | (reads twice the bytes) |\n",
        v4,
        mibs(v4),
        c,
        mibs(c),
        c / v4
    ));
    record_figure(
        "verify",
        "verify of a 2-way mirror, time against cmp of the two members",
        &format!("{v2:.2} s"),
        &format!("{c:.2} s"),
        c / v2,
        ">= 1.0",
    );
    record_figure(
        "verify",
        "verify of a 4-way mirror (twice the bytes), time against cmp of two members",
        &format!("{v4:.2} s"),
        &format!("{c:.2} s"),
        c / v4,
        "",
    );
    let (sparse, full) = sparse_against_full(&dir, reps);
    md.push_str(&format!(
        "\nVerify reads what is allocated: a 4 GiB 2-way mirror 10% full takes {sparse:.2} s, \
the same mirror full {full:.2} s: **{:.2}** of the time (target <= 0.2).\n",
        sparse / full
    ));
    record_figure(
        "verify",
        "verify of a 4 GiB 2-way mirror 10% full, time against the same mirror full",
        &format!("{sparse:.2} s"),
        &format!("{full:.2} s"),
        sparse / full,
        "<= 0.2",
    );
    println!("{md}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results/verify.md");
    std::fs::write(&out, md).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
