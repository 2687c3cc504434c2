//! Progress bars appear on a terminal and never on a pipe. The terminal is
//! a real pseudo-terminal from script(1) (util-linux).

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs nwvol under script(1) and returns what the terminal showed.
fn on_terminal(args: &[&str]) -> String {
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_nwvol"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NWVOL_DEVICES")
        .output()
        .expect("script(1) runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn setup(dir: &tempfile::TempDir) -> (std::path::PathBuf, std::path::PathBuf) {
    let a = img(dir, "a.img");
    let b = img(dir, "b.img");
    ok(&["format", "-q", "--size", "256M", "--mirror", s(&a), s(&b)]);
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..(64u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(&big, data).unwrap();
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
    (a, b)
}

#[test]
fn verify_and_mirror_add_show_a_bar_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = setup(&dir);
    let shown = on_terminal(&["verify", "-d", s(&a), "-d", s(&b)]);
    assert!(shown.contains("ETA") && shown.contains('\r'), "{shown:?}");
    assert!(shown.contains("0 finding(s)"), "{shown:?}");

    let o = run(&["verify", "-d", s(&a), "-d", s(&b)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "bar on a pipe: {err:?}"
    );

    let c = img(&dir, "c.img");
    std::fs::File::create(&c)
        .unwrap()
        .set_len(256 << 20)
        .unwrap();
    let shown = on_terminal(&["mirror", "add", "-d", s(&a), "-d", s(&b), s(&c)]);
    assert!(shown.contains("ETA") && shown.contains('\r'), "{shown:?}");
    assert!(shown.contains("in sync"), "{shown:?}");
}

/// Like `on_terminal`, with the bar shown from the start (a test build
/// takes NWVOL_TEST_PROGRESS_AFTER_MS instead of a second of work).
fn on_terminal_now(args: &[&str]) -> String {
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_nwvol"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NWVOL_DEVICES")
        .env("NWVOL_TEST_PROGRESS_AFTER_MS", "0")
        .output()
        .expect("script(1) runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn put_and_get_show_a_bar_and_a_summary_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let a = img(&dir, "a.img");
    ok(&["format", "-q", "--size", "64M", s(&a)]);
    let tree = dir.path().join("TREE");
    std::fs::create_dir(&tree).unwrap();
    for i in 0..30 {
        std::fs::write(tree.join(format!("F{i}.BIN")), vec![i as u8; 3000]).unwrap();
    }
    let shown = on_terminal_now(&["put", "-r", "-d", s(&a), s(&tree), "SYS:/"]);
    assert!(shown.contains("files") && shown.contains('\r'), "{shown:?}");
    assert!(shown.contains("put 30 files, 87.9 KiB in "), "{shown:?}");
    let out = dir.path().join("out");
    let shown = on_terminal_now(&["get", "-r", "-d", s(&a), "SYS:/TREE", s(&out)]);
    assert!(shown.contains("get 30 files, 87.9 KiB in "), "{shown:?}");
    // Quiet: neither bar nor summary.
    let shown = on_terminal_now(&["get", "-q", "-r", "-d", s(&a), "SYS:/TREE", s(&out)]);
    assert!(!shown.contains("get 30 files"), "{shown:?}");
    // On a pipe: neither.
    let o = run(&["get", "-r", "-d", s(&a), "SYS:/TREE", s(&out)]);
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&o.stderr)
    );
}
