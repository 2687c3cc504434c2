//! The README's examples work when pasted: the "Using it" block run in
//! order, line by line, with the real binary in a temporary directory
//! (holding copies of the source tree's src and docs, which the examples
//! use), and the walk-through for an old NetWare disk on a hand-laid
//! NetWare 3.x image.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::netware::lay_out_disk;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of the first ```sh block after `heading`.
fn block_after(heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README.md has no {heading:?}"));
    let rest = &text[at..];
    let start = rest.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = rest[start..].find("```").expect("the block's end");
    rest[start..start + end]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs the lines in one shell, in order, in `dir`, with `nwvol` on the
/// PATH as the built binary; fails naming the first line that fails.
fn run_lines(dir: &Path, lines: &[String]) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_nwvol"), bin.join("nwvol")).unwrap();
    let mut script = String::from("set -eu -o pipefail\n");
    for (i, l) in lines.iter().enumerate() {
        script.push_str(&format!("echo \"=== line {}\" >&2\n{l}\n", i + 1));
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("NWVOL_DEVICES")
        .output()
        .expect("bash");
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        let failed = err
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("=== line "))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        panic!(
            "README line {failed} failed ({:?}): {}\nstderr:\n{err}",
            o.status.code(),
            lines
                .get(failed.wrapping_sub(1))
                .map_or("?", |s| s.as_str())
        );
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn readme_usage_block_runs_in_order() {
    let lines = block_after("## Using it");
    assert!(lines.len() >= 15, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("volume create VOL1:256M")));
    assert!(lines.iter().any(|l| l.contains("get -r")));
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("src"), &dir.path().join("src"));
    copy_tree(&root().join("docs"), &dir.path().join("docs"));
    run_lines(dir.path(), &lines);
    // What the lines made is there.
    assert!(dir.path().join("docs-copy/JSON.md").exists());
    let json = std::fs::read(dir.path().join("docs-copy/JSON.md")).unwrap();
    assert_eq!(json, std::fs::read(root().join("docs/JSON.md")).unwrap());
}

#[test]
fn readme_old_netware_disk_walk_through() {
    let lines: Vec<String> = block_after("### An old NetWare disk")
        .into_iter()
        // The image is laid out here instead of read from a disk.
        .filter(|l| !l.starts_with("dd "))
        .collect();
    assert!(lines.len() >= 4, "{lines:?}");
    for cmd in ["inspect", "ls", "get", "verify"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("nwvol {cmd} "))),
            "the walk-through has no nwvol {cmd}: {lines:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = lay_out_disk();
    std::fs::write(dir.path().join("server.img"), bytes).unwrap();
    run_lines(dir.path(), &lines);
    assert!(dir.path().join("sys-copy/PUBLIC/LOGIN.EXE").exists());
}

#[test]
fn readme_names_the_install_steps() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    for want in [
        "cargo install --path .",
        "man/*.1 /usr/local/share/man/man1",
        "completions/nwvol.bash",
        "cargo build --release && D=$(mktemp -d)",
        "cargo test\n",
    ] {
        assert!(text.contains(want), "README.md lacks {want:?}");
    }
}
