//! Copies of many small files: the space they take on a default volume,
//! `put -r` on a volume that fills up, the summary records of `put` and
//! `get` with `--json`, and `get -r` of a wide tree (order, times, one
//! failing file).

use std::path::{Path, PathBuf};

use crate::support::files::*;

/// `n` files of 1-16 KiB in directories of 50 under `root`; returns their
/// apparent size.
fn small_tree(root: &Path, n: usize, seed: u64) -> u64 {
    let mut total = 0;
    let mut x = seed | 1;
    for i in 0..n {
        let d = root.join(format!("D{:02}", i / 50));
        std::fs::create_dir_all(&d).unwrap();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 1024 + (x % (15 * 1024 + 1)) as usize;
        std::fs::write(d.join(format!("F{i:04}.BIN")), bytes(x, len)).unwrap();
        total += len as u64;
    }
    total
}

fn json_last(out: &str) -> serde_json::Value {
    serde_json::from_str(out.lines().last().expect("a JSON line")).unwrap()
}

#[test]
fn a_default_1g_mirror_holds_small_files_in_at_most_1_5_times_their_size() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img", "b.img"], "1G", &["-q", "--mirror"]);
    let before = df(&imgs, "SYS");
    assert_eq!(before["block_size"], 4096, "{before}");
    let tree = dir.path().join("TREE");
    let apparent = small_tree(&tree, 300, 16);
    nw_ok(&imgs, &["put", "-q", "-r", tree.to_str().unwrap(), "SYS:/"]);
    let after = df(&imgs, "SYS");
    let used = after["used_bytes"].as_u64().unwrap() - before["used_bytes"].as_u64().unwrap();
    assert!(
        used as f64 <= 1.5 * apparent as f64,
        "{used} bytes used for {apparent}"
    );
}

#[test]
fn put_r_on_a_volume_that_fills_up_stops_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img"], "8M", &["-q"]);
    let tree = dir.path().join("TREE");
    let n = 600; // about 5 MB, more than the volume holds
    small_tree(&tree, n, 7);
    let big = dir.path().join("big.bin");
    std::fs::write(&big, bytes(3, 3 << 20)).unwrap();
    nw_ok(&imgs, &["put", "-q", big.to_str().unwrap(), "SYS:/BIG.BIN"]);
    let line = nw_fails(
        &imgs,
        &["put", "-r", "--json", tree.to_str().unwrap(), "SYS:/"],
        1,
        &["no space left on SYS", "written", "not written"],
    );
    // "... stopped after W files written; N not written"
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter_map(|w| w.replace(',', "").parse().ok())
        .collect();
    let (written, not) = (nums[nums.len() - 2], nums[nums.len() - 1]);
    assert!(written > 0 && not > 0, "{line}");
    assert_eq!(written + not, n as u64, "{line}");
    let listed = nw_ok(&imgs, &["ls", "-R", "SYS:/TREE"]);
    let files = listed.lines().filter(|l| l.contains(".BIN")).count() as u64;
    assert_eq!(files, written, "{listed}");
}

#[test]
fn put_and_get_json_print_a_summary_record() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img", "b.img"], "64M", &["-q", "--mirror"]);
    let tree = dir.path().join("TREE");
    let apparent = small_tree(&tree, 40, 9);
    let v = json_last(&nw_ok(
        &imgs,
        &["put", "-r", "--json", tree.to_str().unwrap(), "SYS:/"],
    ));
    assert_eq!(v["command"], "put", "{v}");
    assert_eq!(v["type"], "summary", "{v}");
    assert_eq!(v["files"], 40, "{v}");
    assert_eq!(v["copied_bytes"], apparent, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["stopped_full"], false, "{v}");
    let out: PathBuf = dir.path().join("out");
    let v = json_last(&nw_ok(
        &imgs,
        &["get", "-r", "--json", "SYS:/TREE", out.to_str().unwrap()],
    ));
    assert_eq!(v["command"], "get", "{v}");
    assert_eq!(v["files"], 40, "{v}");
    assert_eq!(v["copied_bytes"], apparent, "{v}");
    // Without --json and off a terminal: nothing on standard output.
    let o = nw(
        &imgs,
        &[
            "get",
            "-r",
            "SYS:/TREE",
            dir.path().join("o2").to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{o:?}");
    nw_fails(
        &imgs,
        &["get", "--json", "SYS:/TREE/D00/F0000.BIN", "-"],
        1,
        &["--json"],
    );
}

/// `put -r` of a tree that holds a FIFO copies the files beside it and
/// skips the FIFO with a line naming it, without waiting for a writer
/// (the read-ahead of source files opens regular files only).
#[test]
fn put_r_skips_a_fifo_without_waiting_for_a_writer() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img"], "16M", &["-q"]);
    let tree = dir.path().join("TREE");
    small_tree(&tree, 3, 5);
    let fifo = tree.join("D00").join("A.FIFO");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let done = AtomicBool::new(false);
    let unblocked = AtomicBool::new(false);
    let o = std::thread::scope(|s| {
        // A put stuck opening the FIFO is let go (by opening its other
        // end) after a minute, and the test fails.
        s.spawn(|| {
            for _ in 0..600 {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            unblocked.store(true, Ordering::SeqCst);
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo);
        });
        let o = nw(&imgs, &["put", "-r", tree.to_str().unwrap(), "SYS:/"]);
        done.store(true, Ordering::SeqCst);
        o
    });
    assert!(
        !unblocked.load(Ordering::SeqCst),
        "put -r waited on the FIFO"
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("A.FIFO") && err.contains("not a regular file"),
        "{err}"
    );
    let listed = nw_ok(&imgs, &["ls", "-R", "SYS:/TREE"]);
    assert_eq!(listed.matches(".BIN").count(), 3, "{listed}");
}

/// `get -r` of a tree of several directories: every file and directory
/// comes out whole with its time (a directory's set after its files went
/// in), `-v` lists them in the tree's order as `cp -rv` would, and a file
/// that cannot be written is one error line while all the others are
/// copied.
#[test]
fn get_r_of_a_wide_tree_copies_every_file_in_order_with_times() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img", "b.img"], "64M", &["-q", "--mirror"]);
    let tree = dir.path().join("TREE");
    small_tree(&tree, 400, 7);
    // One level deeper too, and times on files and directories.
    std::fs::create_dir_all(tree.join("D03/SUB")).unwrap();
    std::fs::write(tree.join("D03/SUB/DEEP.TXT"), b"deep").unwrap();
    let mut all_files = Vec::new();
    let mut dirs = vec![tree.clone()];
    let mut k = 0u64;
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                k += 1;
                set_mtime(&p, 1_100_000_000 + 2 * k);
                all_files.push(p);
            }
        }
    }
    for (i, d) in ["D00", "D03", "D03/SUB", "D07"].iter().enumerate() {
        set_mtime(&tree.join(d), 1_000_000_000 + 2 * i as u64);
    }
    nw_ok(&imgs, &["put", "-q", "-r", tree.to_str().unwrap(), "SYS:/"]);

    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let listed = nw_ok(&imgs, &["get", "-rv", "SYS:/TREE", o]);
    for f in &all_files {
        let rel = f.strip_prefix(&tree).unwrap();
        let back = out.join(rel);
        assert_eq!(
            std::fs::read(&back).unwrap(),
            std::fs::read(f).unwrap(),
            "{rel:?}"
        );
        assert_eq!(mtime(&back), mtime(f), "{rel:?}");
    }
    for d in ["D00", "D03", "D03/SUB", "D07"] {
        assert_eq!(
            mtime(&out.join(d)),
            mtime(&tree.join(d)),
            "{d}: time after its files went in"
        );
    }
    // The tree's order: a directory, then its entries by name, each
    // directory's own entries before what follows it.
    fn order(d: &Path, nw: &str, local: &Path, lines: &mut Vec<String>) {
        lines.push(format!("'{nw}' -> '{}'", local.display()));
        let mut names: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        for n in names {
            let p = d.join(&n);
            if p.is_dir() {
                order(&p, &format!("{nw}/{n}"), &local.join(&n), lines);
            } else {
                lines.push(format!("'{nw}/{n}' -> '{}'", local.join(&n).display()));
            }
        }
    }
    let mut want = Vec::new();
    order(&tree, "SYS:/TREE", &out, &mut want);
    assert_eq!(listed.lines().collect::<Vec<_>>(), want);

    // A directory where one file should go: that file fails, alone. (An
    // existing DEST takes the tree inside it, as with `cp -r`.)
    let into = dir.path().join("into");
    let again = into.join("TREE");
    std::fs::create_dir_all(again.join("D02/F0120.BIN")).unwrap();
    let o = nw(&imgs, &["get", "-rv", "SYS:/TREE", into.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("F0120.BIN"), "{err}");
    let shown = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        shown.lines().count(),
        want.len() - 1,
        "every line but the failed file's"
    );
    assert!(!shown.contains("F0120.BIN"), "{shown}");
    for f in &all_files {
        let rel = f.strip_prefix(&tree).unwrap();
        if rel != Path::new("D02/F0120.BIN") {
            assert_eq!(
                std::fs::read(again.join(rel)).unwrap(),
                std::fs::read(f).unwrap()
            );
        }
    }
}
