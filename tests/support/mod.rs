//! The one support place of the integration tests, shared by every test
//! binary (`#[path = "../support/mod.rs"] mod support;` in each main.rs).
//! Here: running the real binary, temporary images, loop devices that
//! detach themselves. Beside it:
//!
//! - [`campaign`]: seeded randomness, tallies and outcomes of the fault and
//!   crash campaigns.
//! - [`netware`]: a plain NetWare partition laid out byte by byte.
//! - [`files`]: formatted images with files on them, opened through the
//!   library.
//! - [`engine`]: mirror groups formatted on memory devices.
//! - [`nbd`]: NBD servers (real and misbehaving) for remote members.
//! - [`corpus`]: the text encoding of the damaged-image corpora.
//!
//! The device doubles (memory, failing, counting, gated, recording,
//! logging and offset devices) are in `nwvol::device::testing`, which the
//! `testing` feature turns on for the tests.
#![allow(dead_code)]

pub mod campaign;
pub mod corpus;
pub mod engine;
pub mod files;
pub mod mount;
pub mod nbd;
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
        Self::attach_with(file, &[])
    }

    /// Attaches `file` with more losetup options (`--direct-io=on`,
    /// `--sector-size 4096`); None (with the reason printed) where loop
    /// devices are unavailable.
    pub fn attach_with(file: &Path, options: &[&str]) -> Option<LoopDev> {
        let o = Command::new("losetup")
            .args(["--find", "--show"])
            .args(options)
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

/// A tmpfs of a fixed size mounted on a directory (the file system that
/// fills up in the ENOSPC tests); unmounted on drop, even when a test
/// fails. Declare loop devices over it after it, so they detach first.
pub struct Tmpfs {
    /// The mount point.
    pub dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` bytes on `dir` (created if missing); None
    /// (with the reason printed) where mounting is not permitted.
    pub fn mount(dir: &Path, size: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match o {
            Ok(o) if o.status.success() => Some(Tmpfs {
                dir: dir.to_path_buf(),
            }),
            Ok(o) => {
                eprintln!(
                    "skipping: cannot mount a tmpfs: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipping: mount unavailable: {e}");
                None
            }
        }
    }

    /// Grows (or shrinks) the tmpfs to `size` bytes, keeping its files.
    pub fn resize(&self, size: u64) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.dir)
            .status()
            .expect("run mount");
        assert!(
            st.success(),
            "remount {} to {size} bytes",
            self.dir.display()
        );
    }

    /// Bytes still free.
    pub fn free(&self) -> u64 {
        let c = std::ffi::CString::new(self.dir.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: statvfs fills the zeroed struct through the pointer.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
        assert_eq!(r, 0, "statvfs {}", self.dir.display());
        st.f_bavail as u64 * st.f_frsize as u64
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let done = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !done {
            // Still busy (a loop device not yet gone): detach it lazily.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
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
