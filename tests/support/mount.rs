//! Mounted volumes for the FUSE tests: a server in the foreground as a
//! child of the test (so that a test can SIGKILL it), a guard that
//! unmounts and ends it even when the test fails.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::files::with_devs;
use super::nwvol;

/// True when `dir` is a mount point (in /proc/self/mountinfo).
pub fn is_mounted(dir: &Path) -> bool {
    let want = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .any(|l| l.split(' ').nth(4) == Some(want.to_str().unwrap_or("")))
}

/// Unmounts `dir` (lazily when busy) if it is mounted.
pub fn unmount(dir: &Path) {
    if is_mounted(dir) {
        let ok = Command::new("fusermount3")
            .arg("-u")
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("fusermount3")
                .args(["-u", "-z"])
                .arg(dir)
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A volume mounted by `nwvol mount -f`, run as a child of the test.
pub struct Mounted {
    /// The mount point.
    pub dir: PathBuf,
    /// The server.
    pub server: Option<Child>,
}

impl Mounted {
    /// Mounts `vol` of `imgs` at `dir` (made if missing) with extra
    /// arguments (e.g. `-o ro`); waits until the mount is up.
    pub fn new(imgs: &[PathBuf], vol: &str, dir: &Path, extra: &[&str]) -> Mounted {
        std::fs::create_dir_all(dir).unwrap();
        let mut args: Vec<&str> = vec!["mount", "-f"];
        args.extend(extra);
        let d = dir.display().to_string();
        args.extend([vol, d.as_str()]);
        let v = with_devs(imgs, &args);
        let log = std::fs::File::create(dir.with_extension("log")).unwrap();
        let mut child = nwvol()
            .args(&v)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nwvol mount -f");
        let start = Instant::now();
        while !is_mounted(dir) {
            if let Ok(Some(st)) = child.try_wait() {
                let said = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
                panic!("nwvol mount -f {v:?} ended before mounting: {st}: {said}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the mount did not come up"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Mounted {
            dir: dir.to_path_buf(),
            server: Some(child),
        }
    }

    /// A path inside the mount.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// What the server logged so far (its standard error).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.with_extension("log")).unwrap_or_default()
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.server.as_ref().expect("running").id()
    }

    /// Unmounts with `nwvol umount` and waits for the server: it must end
    /// with exit 0.
    pub fn umount(mut self) {
        let o = nwvol()
            .arg("umount")
            .arg(&self.dir)
            .output()
            .expect("nwvol umount");
        assert!(
            o.status.success(),
            "nwvol umount: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let st = self.server.take().unwrap().wait().expect("wait server");
        assert!(st.success(), "the server ended with {st}");
    }

    /// SIGKILLs the server, then takes the dead mount away.
    pub fn kill(mut self) {
        let mut c = self.server.take().unwrap();
        c.kill().expect("SIGKILL the server");
        let _ = c.wait();
        unmount(&self.dir);
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        unmount(&self.dir);
        if let Some(mut c) = self.server.take() {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs a program, asserting success; returns its stdout.
pub fn sh(cmd: &str, args: &[&str], cwd: &Path) -> String {
    let o = Command::new(cmd)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (is it installed?)"));
    assert!(
        o.status.success(),
        "{cmd} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The errno of an io error.
pub fn errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}
