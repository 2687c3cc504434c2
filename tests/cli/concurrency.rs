//! Two nwvol processes on the same devices: readers share, a writer is
//! exclusive; the loser fails at once with "device busy" or waits with
//! `--wait`; observers (inspect) are never blocked; nothing is corrupted.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// Kills a child process when dropped (a test that fails leaves none).
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mirror(dir: &tempfile::TempDir) -> (PathBuf, PathBuf) {
    let a = img(dir, "a.img");
    let b = img(dir, "b.img");
    ok(&["format", "-q", "--size", "64M", "--mirror", s(&a), s(&b)]);
    (a, b)
}

/// Waits until `cond` holds (the other process has its lock), up to 20 s.
fn until(mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_writer_excludes_readers_and_writers_but_not_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = mirror(&dir);
    // A put reading from a pipe we hold open keeps its exclusive lock.
    let mut w = Reap(
        nwvol()
            .args(["put", "-d", s(&a), "-d", s(&b), "-", "SYS:/SLOW.TXT"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    w.0.stdin
        .as_mut()
        .unwrap()
        .write_all(b"first part ")
        .unwrap();
    until(|| {
        !run(&["ls", "-d", s(&a), "-d", s(&b), "SYS:/"])
            .status
            .success()
    });
    let line = fails(
        &["ls", "-d", s(&a), "-d", s(&b), "SYS:/"],
        1,
        &["a.img", "device busy", "--wait"],
    );
    assert!(line.contains("writing"), "{line}");
    fails(
        &["mkdir", "-d", s(&a), "-d", s(&b), "SYS:/D"],
        1,
        &["device busy"],
    );
    // inspect only observes: it works while the writer runs.
    ok(&["inspect", "-d", s(&a), "-d", s(&b)]);

    // A reader that waits gets the volume once the writer is done.
    let waiter = Reap(
        nwvol()
            .args(["ls", "--wait", "30", "-d", s(&a), "-d", s(&b), "SYS:/"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(300));
    {
        let mut stdin = w.0.stdin.take().unwrap();
        stdin.write_all(b"and the rest\n").unwrap();
    }
    assert!(w.0.wait().unwrap().success());
    let mut waiter = waiter;
    let st = waiter.0.wait().unwrap();
    let mut out = String::new();
    waiter
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(st.success(), "{out}");
    assert!(out.contains("SLOW.TXT"), "{out}");
}

#[test]
fn readers_share_and_keep_a_writer_out() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = mirror(&dir);
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 4 << 20]).unwrap();
    ok(&[
        "put",
        "-q",
        "-d",
        s(&a),
        "-d",
        s(&b),
        s(&big),
        "SYS:/BIG.BIN",
    ]);
    // cat into a pipe nobody reads: it blocks holding its shared lock.
    let mut r = Reap(
        nwvol()
            .args(["cat", "-d", s(&a), "-d", s(&b), "SYS:/BIG.BIN"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Probe with a write that changes nothing (the file does not exist)
    // until it is refused as busy.
    until(|| {
        let o = run(&["rm", "-d", s(&a), "-d", s(&b), "SYS:/NOT-THERE"]);
        String::from_utf8_lossy(&o.stderr).contains("device busy")
    });
    // Another reader shares the lock.
    let out = ok(&["ls", "-d", s(&a), "-d", s(&b), "SYS:/"]);
    assert!(out.contains("BIG.BIN"));
    let line = fails(
        &["mkdir", "-d", s(&a), "-d", s(&b), "SYS:/X"],
        1,
        &["device busy"],
    );
    assert!(line.contains("reading"), "{line}");
    // Drain the reader; a waiting writer then goes ahead.
    let mut sink = Vec::new();
    r.0.stdout.take().unwrap().read_to_end(&mut sink).unwrap();
    assert_eq!(sink.len(), 4 << 20);
    assert!(r.0.wait().unwrap().success());
    ok(&["mkdir", "--wait", "10", "-d", s(&a), "-d", s(&b), "SYS:/X"]);
}

#[test]
fn concurrent_puts_and_listings_corrupt_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = mirror(&dir);
    let (ap, bp) = (a.clone(), b.clone());
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| {
            let data: Vec<u8> = (0..(20_000 + i * 7_777))
                .map(|j| (j * 31 + i) as u8)
                .collect();
            (format!("F{i}.BIN"), data)
        })
        .collect();
    let src = dir.path().to_path_buf();
    let writes = files.clone();
    let writer = std::thread::spawn(move || {
        for (name, data) in &writes {
            let p = src.join(name);
            std::fs::write(&p, data).unwrap();
            ok(&[
                "put",
                "-q",
                "--wait",
                "60",
                "-d",
                s(&ap),
                "-d",
                s(&bp),
                s(&p),
                &format!("SYS:/{name}"),
            ]);
        }
    });
    let mut listings = 0;
    while !writer.is_finished() {
        ok(&["ls", "--wait", "60", "-d", s(&a), "-d", s(&b), "SYS:/"]);
        listings += 1;
    }
    writer.join().unwrap();
    assert!(listings > 0);
    for (name, data) in &files {
        let o = run(&["cat", "-d", s(&a), "-d", s(&b), &format!("SYS:/{name}")]);
        assert!(o.status.success());
        assert_eq!(&o.stdout, data, "{name}");
    }
    let o = run(&["verify", "-d", s(&a), "-d", s(&b)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
