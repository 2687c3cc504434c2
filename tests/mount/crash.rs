//! SIGKILL of the mount server in the middle of work: after the dead
//! mount is taken away and the volume mounted again, every file that was
//! fsync'd reads back whole, every other file holds a prefix of what was
//! written to it (never zeros or foreign bytes), and verify --repair then
//! verify end with exit 0.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::campaign::Rng;
use crate::support::files::{format, nw};
use crate::support::mount::Mounted;

/// The contents of file `i` of the tree.
fn contents(i: usize) -> Vec<u8> {
    let mut r = Rng(i as u64 * 7919 + 1);
    let n = r.range(100, 12_000) as usize;
    r.bytes(n)
}

fn rel(i: usize) -> String {
    format!("D{:02}/F{i:05}.DAT", i % 20)
}

/// verify --repair, then verify: both must end clean.
fn repair_then_verify(imgs: &[PathBuf]) {
    let r = nw(imgs, &["verify", "--repair"]);
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "verify --repair: {}\n{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let v = nw(imgs, &["verify"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "verify after repair: {}\n{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// Copies the tree file by file into `root` until told to stop or a
/// write fails; fsyncs every 25th file and counts how many are synced.
fn copy_tree(root: &Path, files: usize, synced: &AtomicUsize, stop: &AtomicBool) {
    for d in 0..20 {
        if std::fs::create_dir_all(root.join(format!("D{d:02}"))).is_err() {
            return;
        }
    }
    for i in 0..files {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let r = (|| -> std::io::Result<()> {
            let mut f = std::fs::File::create(root.join(rel(i)))?;
            f.write_all(&contents(i))?;
            if i % 25 == 24 {
                f.sync_all()?;
                synced.store(i + 1, Ordering::SeqCst);
            }
            Ok(())
        })();
        if r.is_err() {
            return;
        }
    }
}

/// Checks the tree after a crash: files `..synced` whole, the rest
/// absent or a prefix of their contents.
fn check_tree(root: &Path, files: usize, synced: usize) {
    for i in 0..files {
        let want = contents(i);
        match std::fs::read(root.join(rel(i))) {
            Ok(got) => {
                if i < synced {
                    assert!(
                        got == want,
                        "file {i} was fsync'd but reads back {} of {} bytes",
                        got.len(),
                        want.len()
                    );
                } else {
                    assert!(
                        got.len() <= want.len() && got == want[..got.len()],
                        "file {i} holds bytes never written to it"
                    );
                }
            }
            Err(e) => assert!(i >= synced, "file {i} was fsync'd but is gone: {e}"),
        }
    }
}

fn kill_during_copy(files: usize, after: Duration) {
    let t = tempfile::tempdir().unwrap();
    let imgs = format(&t, &["a.img", "b.img"], "512M", &["--mirror"]);
    let mp = t.path().join("mnt");
    let m = Mounted::new(&imgs, "SYS", &mp, &[]);
    let synced = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (root, s, st) = (m.dir.clone(), synced.clone(), stop.clone());
        std::thread::spawn(move || copy_tree(&root, files, &s, &st))
    };
    std::thread::sleep(after);
    let done = synced.load(Ordering::SeqCst);
    m.kill();
    stop.store(true, Ordering::Relaxed);
    let _ = writer.join();
    let synced = synced.load(Ordering::SeqCst).max(done);
    assert!(
        synced > 0,
        "nothing was fsync'd before the kill: too short a run"
    );
    let m = Mounted::new(&imgs, "SYS", &mp, &[]);
    check_tree(&m.dir, files, synced);
    m.umount();
    repair_then_verify(&imgs);
}

#[test]
fn sigkill_during_a_copy_of_a_tree_loses_no_fsynced_file() {
    kill_during_copy(10_000, Duration::from_secs(4));
}

#[test]
fn sigkill_during_fsx_leaves_a_readable_file_and_a_volume_that_verifies() {
    let t = tempfile::tempdir().unwrap();
    let imgs = format(&t, &["a.img", "b.img"], "256M", &["--mirror"]);
    let mp = t.path().join("mnt");
    let m = Mounted::new(&imgs, "SYS", &mp, &[]);
    let mut fsx = Command::new("fsx")
        .args(["-N", "1000000", "-S", "5", "-P"])
        .arg(t.path())
        .arg(m.path("fsx.dat"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run fsx");
    std::thread::sleep(Duration::from_secs(3));
    m.kill();
    let _ = fsx.kill();
    let _ = fsx.wait();
    let m = Mounted::new(&imgs, "SYS", &mp, &[]);
    let got = std::fs::read(m.path("fsx.dat")).expect("the file reads back after the kill");
    assert!(got.len() <= 256 * 1024 + 65536);
    m.umount();
    repair_then_verify(&imgs);
}

/// The campaign: kills at many moments of the copy.
#[test]
#[ignore]
fn sigkill_campaign_during_copies() {
    for ms in [300, 900, 1700, 2500, 4000, 6000, 9000] {
        kill_during_copy(10_000, Duration::from_millis(ms));
    }
}
