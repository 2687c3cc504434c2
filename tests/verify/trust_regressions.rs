//! Regression tests for bugs found while trying the mirror's promises
//! (issue 15 point 5), each named after the problem.

use std::path::PathBuf;

use super::mirror::{d_args, noise, verify};
use crate::support::*;

fn on(imgs: &[PathBuf], cmd: &[&str]) -> std::process::Output {
    // `mirror` takes the devices after its own subcommand.
    let head = if cmd[0] == "mirror" { 2 } else { 1 };
    let mut args: Vec<String> = cmd[..head].iter().map(|s| s.to_string()).collect();
    args.extend(d_args(imgs));
    args.extend(cmd[head..].iter().map(|s| s.to_string()));
    nwvol().args(&args).output().unwrap()
}

#[test]
fn put_that_cannot_fit_does_not_purge_salvageable_files() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = vec![img(&dir, "v.img")];
    ok(&["format", "-q", "--size", "64M", imgs[0].to_str().unwrap()]);
    let one = dir.path().join("one.bin");
    std::fs::write(&one, noise(300_000, 7)).unwrap();
    let o = on(&imgs, &["put", one.to_str().unwrap(), "SYS:/ONE.BIN"]);
    assert!(o.status.success());
    assert!(on(&imgs, &["rm", "SYS:/ONE.BIN"]).status.success());
    let big = dir.path().join("big.bin");
    sparse(&big, 100 << 20);
    let o = on(&imgs, &["put", big.to_str().unwrap(), "SYS:/BIG.BIN"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no space"), "{err}");
    let o = on(&imgs, &["salvage", "SYS:/ONE.BIN"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let back = dir.path().join("back.bin");
    let o = on(&imgs, &["get", "SYS:/ONE.BIN", back.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&back).unwrap(), noise(300_000, 7));
}

fn dirty_chunks(imgs: &[PathBuf]) -> u64 {
    let o = on(imgs, &["mirror", "status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    j["groups"][0]["dirty_chunks"].as_u64().unwrap()
}

#[test]
fn dirty_mark_of_an_interrupted_put_is_cleared_by_a_verify_that_proved_copies_equal() {
    let dir = tempfile::tempdir().unwrap();
    let imgs: Vec<PathBuf> = ["a.img", "b.img"].iter().map(|n| img(&dir, n)).collect();
    ok(&[
        "format",
        "-q",
        "--size",
        "64M",
        "--mirror",
        imgs[0].to_str().unwrap(),
        imgs[1].to_str().unwrap(),
    ]);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, noise(8 << 20, 3)).unwrap();
    // Killed part way through, after its write-intent bits were set.
    let mut args = vec!["put".to_string()];
    args.extend(d_args(&imgs));
    args.push(src.display().to_string());
    args.push("SYS:/SRC.BIN".into());
    let st = nwvol()
        .args(&args)
        .env("NWVOL_TEST_KILL_AFTER_WRITES", "12")
        .output()
        .unwrap();
    assert!(!st.status.success());
    assert!(dirty_chunks(&imgs) > 0, "the put left no dirty mark");
    let (code, out) = verify(&imgs, &["--repair"]);
    assert!(code <= 1, "{out}");
    assert_eq!(dirty_chunks(&imgs), 0, "the dirty mark stayed: {out}");
    assert_eq!(verify(&imgs, &[]).0, 0);
}

#[test]
fn fresh_format_with_direct_io_redirects_no_sector_to_the_hotfix_pool() {
    let dir = tempfile::tempdir().unwrap();
    let imgs: Vec<PathBuf> = ["a.img", "b.img"].iter().map(|n| img(&dir, n)).collect();
    ok(&[
        "format",
        "-q",
        "--direct",
        "--size",
        "64M",
        "--mirror",
        imgs[0].to_str().unwrap(),
        imgs[1].to_str().unwrap(),
    ]);
    for m in &imgs {
        let j = inspect(&[m.as_path()]);
        assert_eq!(
            j["devices"][0]["pool_slots_used"],
            0,
            "{}: a slot used by format",
            m.display()
        );
    }
}

/// The JSON findings of a verify: (exit code, findings).
fn findings(imgs: &[PathBuf], extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut e = vec!["--json"];
    e.extend_from_slice(extra);
    let (code, out) = verify(imgs, &e);
    let recs = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .filter(|r| r["type"] == "finding")
        .collect();
    (code, recs)
}

#[test]
fn lone_truncated_image_reports_its_lost_blocks_as_data_loss_not_divergence() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = vec![img(&dir, "a.img")];
    ok(&["format", "-q", "--size", "64M", imgs[0].to_str().unwrap()]);
    for (name, seed) in [("F1.BIN", 1), ("F2.BIN", 2)] {
        let src = dir.path().join(name);
        std::fs::write(&src, noise(2 << 20, seed)).unwrap();
        let to = format!("SYS:/{name}");
        let o = on(&imgs, &["put", src.to_str().unwrap(), &to]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&imgs[0])
        .unwrap()
        .set_len(3 << 20)
        .unwrap();
    // The repairing verify and the one after it say the same: the blocks
    // past the cut are lost, once per file, with no good member promised
    // and no mirror of one member said to diverge.
    let (code, first) = findings(&imgs, &["--repair"]);
    let all = format!("{first:#?}");
    assert_eq!(code, 4, "{all}");
    assert!(!all.contains("good member"), "{all}");
    assert!(!all.contains("mirror-diverges"), "{all}");
    assert!(!all.contains("checksum-mismatch"), "{all}");
    let truncated: Vec<_> = first
        .iter()
        .filter(|f| f["code"] == "member-truncated")
        .collect();
    assert_eq!(truncated.len(), 1, "{all}");
    let lost = |fs: &[serde_json::Value]| -> Vec<(String, String)> {
        fs.iter()
            .filter(|f| f["code"] == "lost")
            .map(|f| (f["path"].to_string(), f["blocks"].to_string()))
            .collect()
    };
    let lost_first = lost(&first);
    let paths: Vec<&str> = lost_first.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"\"SYS:/F2.BIN\""), "{all}");
    // Each file's lost run is one finding.
    let mut uniq = paths.clone();
    uniq.dedup();
    assert_eq!(uniq.len(), paths.len(), "{all}");
    assert_eq!(first.len(), 1 + lost_first.len(), "{all}");
    let (code, second) = findings(&imgs, &[]);
    let all2 = format!("{second:#?}");
    assert_eq!(code, 4, "{all2}");
    assert_eq!(second.len(), lost_first.len(), "{all2}");
    assert_eq!(lost(&second), lost_first, "{all}\n{all2}");
}
