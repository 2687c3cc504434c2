//! The MBR as partitioners write it: CHS addresses that agree with the LBA
//! ones, checked by fdisk's own verify (in DOS-compatible mode, where it
//! compares them, as TestDisk does).

use std::process::Command;

use crate::support::*;

/// fdisk's verify of an image in DOS-compatible mode; None (with the
/// reason printed) where fdisk is not installed.
fn fdisk_verify(img: &std::path::Path) -> Option<String> {
    let fdisk = ["/usr/sbin/fdisk", "/sbin/fdisk", "fdisk"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(fdisk) = fdisk else {
        eprintln!("skipping: fdisk is not installed");
        return None;
    };
    let mut child = Command::new(fdisk)
        .arg("-c=dos")
        .arg(img)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run fdisk");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"v\nq\n").unwrap();
    let o = child.wait_with_output().unwrap();
    Some(format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    ))
}

#[test]
fn chs_fields_agree_with_lba_for_fdisk() {
    let dir = tempfile::tempdir().unwrap();
    for (name, size) in [("small.img", "64M"), ("big.img", "20G")] {
        let p = img(&dir, name);
        ok(&["format", "--size", size, p.to_str().unwrap()]);
        // Bytes 447-449: CHS of sector 2048 (cylinder 0, head 32, sector 33).
        assert_eq!(peek(&p, 447, 3), [0x20, 0x21, 0x00], "{name}");
        let end = peek(&p, 451, 3);
        if name == "big.img" {
            assert_eq!(end, [0xFE, 0xFF, 0xFF], "beyond cylinder 1023");
        } else {
            // Sector 131071: cylinder 8, head 40, sector 32.
            assert_eq!(end, [40, 32, 8]);
        }
        let Some(v) = fdisk_verify(&p) else { return };
        for bad in ["different physical/logical", "disagrees with C/H/S"] {
            assert!(!v.contains(bad), "{name}: fdisk says {v}");
        }
    }
}
