//! How POSIX calls meet NetWare (docs/MOUNT.md), each as a program sees
//! it and as nwvol shows the volume afterwards.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use crate::support::files::{format, nw_ok};
use crate::support::mount::{Mounted, errno};

fn mounted(t: &tempfile::TempDir, size: &str) -> (Vec<PathBuf>, Mounted) {
    let imgs = format(t, &["a.img", "b.img"], size, &["--mirror"]);
    let m = Mounted::new(&imgs, "SYS", &t.path().join("mnt"), &[]);
    (imgs, m)
}

#[test]
fn names_are_case_insensitive_keep_their_case_and_get_dos_aliases() {
    let t = tempfile::tempdir().unwrap();
    let (imgs, m) = mounted(&t, "64M");
    std::fs::write(m.path("Mixed Case Name.txt"), b"abc").unwrap();
    assert_eq!(
        std::fs::read(m.path("MIXED CASE NAME.TXT")).unwrap(),
        b"abc"
    );
    let names: Vec<String> = std::fs::read_dir(&m.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["Mixed Case Name.txt"]);
    // A name NetWare cannot hold: EINVAL; too long: ENAMETOOLONG.
    let e = std::fs::write(m.path("a*b"), b"x").unwrap_err();
    assert_eq!(errno(&e), libc::EINVAL, "{e}");
    let e = std::fs::write(m.path(&"x".repeat(256)), b"x").unwrap_err();
    assert_eq!(errno(&e), libc::ENAMETOOLONG, "{e}");
    m.umount();
    let ls = nw_ok(&imgs, &["ls", "--json", "SYS:/"]);
    assert!(ls.contains("Mixed Case Name.txt"), "{ls}");
    assert!(ls.contains("MIXEDC~1.TXT"), "no DOS alias: {ls}");
}

#[test]
fn four_gib_full_volume_and_other_file_types_give_their_errno() {
    let t = tempfile::tempdir().unwrap();
    let (_imgs, m) = mounted(&t, "16M");
    let f = std::fs::File::create(m.path("BIG.DAT")).unwrap();
    let e = f.set_len(5 << 30).unwrap_err();
    assert_eq!(errno(&e), libc::EFBIG, "{e}");
    drop(f);
    // Fill the volume: ENOSPC, and what was written stays readable.
    let chunk = vec![0x5Au8; 1 << 20];
    let mut w = std::fs::OpenOptions::new()
        .append(true)
        .open(m.path("BIG.DAT"))
        .unwrap();
    let mut written = 0u64;
    let err = loop {
        match std::io::Write::write_all(&mut w, &chunk) {
            Ok(()) => written += chunk.len() as u64,
            Err(e) => break e,
        }
        assert!(written < 64 << 20, "a 16 MiB volume took {written} bytes");
    };
    assert_eq!(errno(&err), libc::ENOSPC, "{err}");
    drop(w);
    let back = std::fs::read(m.path("BIG.DAT")).unwrap();
    assert!(back.len() as u64 >= written);
    assert!(back[..written as usize].iter().all(|&b| b == 0x5A));
    std::fs::remove_file(m.path("BIG.DAT")).unwrap();
    // Symlinks, hard links, FIFOs, device nodes: EPERM.
    std::fs::write(m.path("T.TXT"), b"t").unwrap();
    let e = std::os::unix::fs::symlink("T.TXT", m.path("L")).unwrap_err();
    assert_eq!(errno(&e), libc::EPERM, "{e}");
    let e = std::fs::hard_link(m.path("T.TXT"), m.path("H")).unwrap_err();
    assert_eq!(errno(&e), libc::EPERM, "{e}");
    let c = std::ffi::CString::new(m.path("FIFO").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(r, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EPERM)
    );
    // statfs: the volume's size and free space.
    let st = nix_statvfs(&m.dir);
    assert!(st.0 > 0 && st.1 > 0 && st.1 <= st.0, "{st:?}");
    m.umount();
}

/// (total blocks, available blocks) of the file system at `p`.
fn nix_statvfs(p: &std::path::Path) -> (u64, u64) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: statvfs fills `s`.
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut s) }, 0);
    (s.f_blocks, s.f_bavail)
}

#[test]
fn rename_over_a_file_is_atomic_and_the_replaced_file_stays_salvageable() {
    let t = tempfile::tempdir().unwrap();
    let (imgs, m) = mounted(&t, "64M");
    std::fs::write(m.path("OLD.TXT"), b"old version").unwrap();
    std::fs::write(m.path("NEW.TMP"), b"new version").unwrap();
    std::fs::rename(m.path("NEW.TMP"), m.path("OLD.TXT")).unwrap();
    assert_eq!(std::fs::read(m.path("OLD.TXT")).unwrap(), b"new version");
    assert!(!m.path("NEW.TMP").exists());
    std::fs::write(m.path("GONE.TXT"), b"deleted").unwrap();
    std::fs::remove_file(m.path("GONE.TXT")).unwrap();
    m.umount();
    let s = nw_ok(&imgs, &["salvage", "SYS:/"]);
    assert!(s.contains("OLD.TXT") && s.contains("GONE.TXT"), "{s}");
    nw_ok(&imgs, &["salvage", "SYS:/GONE.TXT"]);
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/GONE.TXT"]), "deleted");
}

#[test]
fn mtime_has_two_second_resolution_and_chmod_sets_the_read_only_attribute() {
    let t = tempfile::tempdir().unwrap();
    let (imgs, m) = mounted(&t, "64M");
    let p = m.path("T.TXT");
    std::fs::write(&p, b"t").unwrap();
    let odd = UNIX_EPOCH + Duration::from_secs(1_700_000_001);
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(odd).unwrap();
    drop(f);
    assert_eq!(std::fs::metadata(&p).unwrap().mtime(), 1_700_000_000);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    let md = std::fs::metadata(&p).unwrap();
    assert_eq!(md.mode() & 0o222, 0, "write bits shown on a read-only file");
    assert_eq!(md.uid(), unsafe { libc::getuid() });
    m.umount();
    let st = nw_ok(&imgs, &["stat", "--json", "SYS:/T.TXT"]);
    assert!(st.contains("\"read_only\""), "{st}");
    assert!(st.contains("2023-11-14"), "{st}");
}

#[test]
fn the_owner_and_modes_shown_follow_uid_gid_and_umask() {
    let t = tempfile::tempdir().unwrap();
    let imgs = format(&t, &["a.img"], "64M", &[]);
    let m = Mounted::new(
        &imgs,
        "SYS",
        &t.path().join("mnt"),
        &["-o", "uid=1234,gid=4321,umask=027"],
    );
    std::fs::write(m.path("F"), b"f").unwrap();
    let md = std::fs::metadata(m.path("F")).unwrap();
    assert_eq!((md.uid(), md.gid(), md.mode() & 0o777), (1234, 4321, 0o750));
    m.umount();
}
