//! A member that fails while mounted: given up with a warning in the
//! server's log, the mount goes on with the other; with none left, calls
//! fail with EIO instead of pretending. The failing member is an image on
//! a small tmpfs that fills up (a real ENOSPC from the kernel).

use std::io::Write;
use std::path::PathBuf;

use crate::support::Tmpfs;
use crate::support::mount::{Mounted, errno};
use crate::support::ok;

const MIB: usize = 1 << 20;

/// Formats a 64 MiB 2-way mirror: member `a` on a 24 MiB tmpfs, member `b`
/// on the tmpfs too when `both` (else on disk).
fn rig(t: &tempfile::TempDir, both: bool) -> Option<(Vec<Tmpfs>, Vec<PathBuf>)> {
    let small = Tmpfs::mount(&t.path().join("small"), 24 * MIB as u64)?;
    let mut keep = vec![];
    let a = small.dir.join("a.img");
    let b = if both {
        let other = Tmpfs::mount(&t.path().join("small2"), 24 * MIB as u64)?;
        let p = other.dir.join("b.img");
        keep.push(other);
        p
    } else {
        t.path().join("b.img")
    };
    keep.insert(0, small);
    ok(&[
        "format",
        "-q",
        "--size",
        "64M",
        "--mirror",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    Some((keep, vec![a, b]))
}

#[test]
fn a_member_that_fills_up_is_given_up_and_the_mount_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let Some((_tmpfs, imgs)) = rig(&t, false) else {
        return;
    };
    let m = Mounted::new(&imgs, "SYS", &t.path().join("mnt"), &[]);
    let data: Vec<u8> = (0..40 * MIB).map(|i| (i * 7 % 251) as u8).collect();
    let mut f = std::fs::File::create(m.path("BIG.BIN")).unwrap();
    f.write_all(&data)
        .expect("the other member takes the writes");
    f.sync_all().expect("fsync on the member left");
    drop(f);
    assert!(std::fs::read(m.path("BIG.BIN")).unwrap() == data);
    let log = m.log();
    assert!(
        log.contains("warning") && log.contains("a.img"),
        "no warning logged: {log}"
    );
    m.umount();
    let (a, b) = (imgs[0].to_str().unwrap(), imgs[1].to_str().unwrap());
    let st = ok(&["mirror", "status", "-d", a, "-d", b]);
    assert!(st.contains("out of sync") || st.contains("failed"), "{st}");
    // The member left holds it all.
    let back = crate::support::run(&["cat", "-d", b, "SYS:/BIG.BIN"]);
    assert!(back.stdout == data);
}

#[test]
fn with_no_member_left_calls_fail_with_eio() {
    let t = tempfile::tempdir().unwrap();
    let Some((_tmpfs, imgs)) = rig(&t, true) else {
        return;
    };
    let m = Mounted::new(&imgs, "SYS", &t.path().join("mnt"), &[]);
    let chunk = vec![0xA5u8; MIB];
    let mut f = std::fs::File::create(m.path("BIG.BIN")).unwrap();
    let mut err = None;
    for _ in 0..60 {
        if let Err(e) = f.write_all(&chunk).and_then(|()| f.sync_all()) {
            err = Some(e);
            break;
        }
    }
    let e = err.expect("writes went on with every member full");
    assert_eq!(errno(&e), libc::EIO, "{e}");
    drop(f);
    let log = m.log();
    assert!(log.contains("warning"), "{log}");
    m.kill();
}
