//! Mounting and unmounting as a user does it: the background server, the
//! devices held while mounted, everything written back at umount, each
//! member alone holding the same files.

use std::path::PathBuf;

use crate::support::files::{bytes, format, nw, nw_ok};
use crate::support::mount::{Mounted, is_mounted};
use crate::support::{fails, nwvol};

fn two_way(dir: &tempfile::TempDir) -> Vec<PathBuf> {
    format(dir, &["a.img", "b.img"], "256M", &["--mirror"])
}

#[test]
fn mount_returns_once_up_and_umount_writes_everything_back_to_every_member() {
    let t = tempfile::tempdir().unwrap();
    let imgs = two_way(&t);
    let mp = t.path().join("mnt");
    std::fs::create_dir(&mp).unwrap();
    // In the background, as a user runs it.
    let o = nw(&imgs, &["mount", "SYS:", mp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(is_mounted(&mp), "mount returned before the mount was up");
    let guard = scopeguard(&mp);
    let data = bytes(3, 300_000);
    std::fs::create_dir(mp.join("Reports 2024")).unwrap();
    std::fs::write(mp.join("Reports 2024/Quarterly summary.bin"), &data).unwrap();
    std::fs::write(mp.join("SMALL.TXT"), b"hello\n").unwrap();

    // The devices are held as a writer holds them; inspect still reads.
    let put = nw(&imgs, &["put", "/etc/hostname", "SYS:/"]);
    assert_eq!(put.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&put.stderr).contains("busy"));
    nw_ok(&imgs, &["inspect"]);
    let (a, b) = (imgs[0].to_str().unwrap(), imgs[1].to_str().unwrap());
    crate::support::ok(&["mirror", "status", "-d", a, "-d", b]);

    let o = nwvol().arg("umount").arg(&mp).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!is_mounted(&mp));
    drop(guard);
    // umount returned after the server let go: the next command gets the
    // devices at once.
    nw_ok(&imgs, &["verify"]);
    let got = nw(&imgs, &["cat", "SYS:/Reports 2024/Quarterly summary.bin"]);
    assert!(got.stdout == data, "nwvol cat reads other bytes");
    // Each member alone, mounted read-only, holds the same bytes.
    for (k, img) in imgs.iter().enumerate() {
        let one = Mounted::new(
            std::slice::from_ref(img),
            "SYS",
            &t.path().join(format!("one{k}")),
            &["-o", "ro"],
        );
        let back = std::fs::read(one.path("reports 2024/QUARTERLY SUMMARY.BIN")).unwrap();
        assert!(back == data, "member {k} differs");
        assert!(
            std::fs::write(one.path("NEW.TXT"), b"x").is_err(),
            "ro mount wrote"
        );
        one.umount();
    }
}

/// Unmounts when dropped (a failing test leaves no mount behind).
struct Guard(PathBuf);
fn scopeguard(p: &std::path::Path) -> Guard {
    Guard(p.to_path_buf())
}
impl Drop for Guard {
    fn drop(&mut self) {
        crate::support::mount::unmount(&self.0);
        // The background server ends once unmounted.
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_wrong_mount_point_volume_or_option_is_one_clear_line() {
    let t = tempfile::tempdir().unwrap();
    let imgs = two_way(&t);
    let img = |s: &str| format!("{}", imgs[0].display()) + s;
    let missing = t.path().join("nowhere");
    fails(
        &["mount", "-d", &img(""), "SYS", missing.to_str().unwrap()],
        1,
        &["nowhere", "no such mount point"],
    );
    let mp = t.path().join("m");
    std::fs::create_dir(&mp).unwrap();
    fails(
        &["mount", "-d", &img(""), "NOPE:", mp.to_str().unwrap()],
        1,
        &["NOPE"],
    );
    fails(
        &[
            "mount",
            "-d",
            &img(""),
            "-o",
            "bogus",
            "SYS",
            mp.to_str().unwrap(),
        ],
        1,
        &["bogus", "unknown mount option"],
    );
    fails(
        &["mount", "-d", &img(""), "SYS:/DIR", mp.to_str().unwrap()],
        1,
        &["not a path"],
    );
    fails(
        &["umount", mp.to_str().unwrap()],
        1,
        &["not an nwvol mount"],
    );
    assert!(!is_mounted(&mp));
}
