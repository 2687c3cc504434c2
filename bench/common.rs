//! Helpers shared by the benchmarks that drive the real binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// One mebibyte.
pub const MIB: u64 = 1 << 20;

pub fn nwvol(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_nwvol"))
        .args(args)
        .env_remove("NWVOL_DEVICES")
        .output()
        .expect("run nwvol");
    assert!(
        o.status.success(),
        "nwvol {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The median (0 for no values).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A number from the environment, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn sparse(p: &Path, bytes: u64) {
    let _ = std::fs::remove_file(p);
    std::fs::File::create(p).unwrap().set_len(bytes).unwrap();
}

pub fn free_bytes(img: &Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&nwvol(&["df", "--json", "-d", s(img), "SYS"])).unwrap();
    v["volumes"][0]["free_bytes"].as_u64().unwrap()
}

/// A file of pseudo-random bytes (incompressible, not all zeros).
pub fn data_file(p: &Path, bytes: u64, seed: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(p).unwrap());
    let mut x = seed | 1;
    let mut buf = vec![0u8; MIB as usize];
    let mut left = bytes;
    while left > 0 {
        for c in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            c.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(MIB) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
}

pub fn logical_bytes(img: &Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&nwvol(&["inspect", "--json", "-d", s(img)])).unwrap();
    v["groups"][0]["logical_bytes"].as_u64().unwrap()
}

pub fn drop_caches() {
    let _ = Command::new("sync").status();
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
}

/// Appends one JSON line to the file named by $NWVOL_BENCH_RECORDS, the
/// records bench/report.sh turns into the report; nothing when unset.
fn record(v: serde_json::Value) {
    let Ok(path) = std::env::var("NWVOL_BENCH_RECORDS") else {
        return;
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("open $NWVOL_BENCH_RECORDS");
    writeln!(f, "{v}").expect("write $NWVOL_BENCH_RECORDS");
}

/// One row of the report: a figure, nwvol's and the baseline's values as
/// printed, their ratio and the target the issue sets (`>= 0.9`,
/// `<= 0.2`, or empty when there is none).
pub fn record_figure(
    bench: &str,
    figure: &str,
    nwvol: &str,
    baseline: &str,
    ratio: f64,
    target: &str,
) {
    record(serde_json::json!({
        "kind": "figure", "bench": bench, "figure": figure, "nwvol": nwvol,
        "baseline": baseline, "ratio": ratio, "target": target,
    }));
}

/// One point of the throughput-against-members plot.
pub fn record_point(series: &str, members: usize, mb_per_s: f64) {
    record(serde_json::json!({
        "kind": "point", "series": series, "members": members, "mb_per_s": mb_per_s,
    }));
}
