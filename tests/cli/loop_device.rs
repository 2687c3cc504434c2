//! `nwvol format` and `nwvol inspect` on real loop block devices (skipped,
//! with the reason printed, where loop devices cannot be attached), and the
//! refusal to format a mounted one.

use crate::support::*;

use std::path::{Path, PathBuf};
use std::process::Command;

const MIB: u64 = 1 << 20;

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A file system mounted on a directory; unmounted on drop (before the
/// loop device under it is detached, when declared after it).
struct Mounted {
    dir: PathBuf,
}

impl Mounted {
    fn mount(dev: &Path, dir: &Path) -> Option<Mounted> {
        match Command::new("mount").arg(dev).arg(dir).output() {
            Ok(o) if o.status.success() => Some(Mounted {
                dir: dir.to_path_buf(),
            }),
            Ok(o) => {
                eprintln!(
                    "skipping: mount failed: {}",
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
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

#[test]
fn format_and_inspect_a_loop_device() {
    let dir = tempfile::tempdir().unwrap();
    let file = img(&dir, "backing.img");
    sparse(&file, 64 * MIB);
    let Some(lo) = LoopDev::attach(&file) else {
        return;
    };
    // Fresh zeros: nothing to overwrite, so no --force.
    let out = ok(&["format", s(&lo.path)]);
    assert!(out.contains("SYS"), "{out}");
    let j = inspect(&[&lo.path]);
    let d = &j["devices"][0];
    assert_eq!(d["device"], s(&lo.path));
    assert_eq!(d["kind"], "block");
    assert_eq!(d["size_bytes"], 64 * MIB);
    assert_eq!(d["start_byte"], MIB);
    assert_eq!(j["volumes"][0]["name"], "SYS");
    let id = d["partition_id"].clone();
    assert!(id.as_u64().is_some_and(|v| v != 0), "{d}");

    // The backing file holds the same partition.
    let f = inspect(&[&file]);
    assert_eq!(f["devices"][0]["kind"], "image");
    assert_eq!(f["devices"][0]["partition_id"], id);
    assert_eq!(f["groups"][0]["group_id"], j["groups"][0]["group_id"]);
    assert_eq!(f["volumes"], j["volumes"]);

    // Formatted now: a second format needs --force.
    fails(
        &["format", s(&lo.path)],
        1,
        &[s(&lo.path), "NetWare", "--force"],
    );
    ok(&["format", "--force", s(&lo.path)]);
    let again = inspect(&[&lo.path]);
    assert_ne!(again["devices"][0]["partition_id"], id);
}

#[test]
fn a_mounted_loop_device_is_never_formatted() {
    let dir = tempfile::tempdir().unwrap();
    let file = img(&dir, "ext4.img");
    sparse(&file, 64 * MIB);
    let Some(lo) = LoopDev::attach(&file) else {
        return;
    };
    match Command::new("mkfs.ext4")
        .args(["-F", "-q"])
        .arg(&lo.path)
        .output()
    {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "skipping: mkfs.ext4 failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("skipping: mkfs.ext4 unavailable: {e}");
            return;
        }
    }
    let mnt = tempfile::tempdir().unwrap();
    let Some(_mounted) = Mounted::mount(&lo.path, mnt.path()) else {
        return;
    };
    for force in [false, true] {
        let mut args = vec!["format"];
        if force {
            args.push("--force");
        }
        args.push(s(&lo.path));
        fails(&args, 1, &[s(&lo.path), "mounted"]);
    }
    // Nothing was written: ext4 leaves sector 0 zero, and it still is (the
    // rest of the image the mounted file system itself may change).
    assert_eq!(peek(&file, 0, 512), vec![0u8; 512], "sector 0 was written");
    // Reading a mounted device is fine: it is just not NetWare.
    fails(&["inspect", "-d", s(&lo.path)], 1, &[s(&lo.path)]);
}
