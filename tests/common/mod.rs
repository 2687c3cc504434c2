//! Shared helpers for the integration tests: running the real binary,
//! temporary images, loop devices that detach themselves.
#![allow(dead_code)]

pub mod netware;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built nwvol binary.
pub fn nwvol() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nwvol"));
    c.env_remove("NWVOL_DEVICES");
    c
}

/// Runs nwvol with the arguments and returns its output.
pub fn run(args: &[&str]) -> Output {
    nwvol().args(args).output().expect("run nwvol")
}

/// Runs nwvol and asserts success, returning stdout.
pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "nwvol {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs nwvol, asserts it fails with `code` and one stderr line starting
/// "nwvol: " that contains every one of `words`; returns the line.
pub fn fails(args: &[&str], code: i32, words: &[&str]) -> String {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "nwvol {args:?}: stderr {err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("nwvol: warning:"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "nwvol {args:?}: want one error line, got {err:?}"
    );
    assert!(lines[0].starts_with("nwvol: "), "{err}");
    for w in words {
        assert!(
            lines[0].contains(w),
            "nwvol {args:?}: {:?} lacks {w:?}",
            lines[0]
        );
    }
    assert!(!err.contains("panicked"), "{err}");
    lines[0].to_string()
}

/// `inspect --json` of the devices, parsed.
pub fn inspect(devs: &[&Path]) -> serde_json::Value {
    let mut args = vec!["inspect".to_string(), "--json".to_string()];
    for d in devs {
        args.push("-d".into());
        args.push(d.display().to_string());
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    serde_json::from_str(&ok(&a)).expect("inspect --json is JSON")
}

/// A path in a temporary directory.
pub fn img(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// A loop device attached to a file; detached on drop, even when a test
/// fails.
pub struct LoopDev {
    /// /dev/loopN
    pub path: PathBuf,
}

impl LoopDev {
    /// Attaches `file`; None (with the reason printed) where loop devices
    /// are unavailable.
    pub fn attach(file: &Path) -> Option<LoopDev> {
        let o = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(file)
            .output();
        match o {
            Ok(o) if o.status.success() => {
                let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
                Some(LoopDev {
                    path: PathBuf::from(p),
                })
            }
            Ok(o) => {
                eprintln!(
                    "skipping: losetup failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                None
            }
            Err(e) => {
                eprintln!("skipping: losetup unavailable: {e}");
                None
            }
        }
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.path).status();
    }
}

/// Creates a sparse file of `size` bytes.
pub fn sparse(path: &Path, size: u64) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(size).unwrap();
}

/// Writes `bytes` at `offset` of the file.
pub fn poke(path: &Path, offset: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(bytes, offset).unwrap();
}

/// Reads `len` bytes at `offset` of the file.
pub fn peek(path: &Path, offset: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path).unwrap();
    let mut b = vec![0u8; len];
    f.read_exact_at(&mut b, offset).unwrap();
    b
}
