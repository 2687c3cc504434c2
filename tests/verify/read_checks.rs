//! Every block read is checked against its checksum (issue 15 point 3):
//! a copy that rotted on one member is read from another, with one
//! warning, or rewritten when the command holds the write lock; a block
//! with no good copy fails the read naming the file and the blocks, and
//! its bytes never reach the output.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::mirror::{d_args, find, setup, setup_with, verify};
use crate::support::*;

/// Flips one bit of the byte at `at` of the image.
fn rot(img: &Path, at: u64) {
    poke(img, at, &[peek(img, at, 1)[0] ^ 0x10]);
}

/// Byte of volume block `b` of SYS in the image (one segment, 4 KiB
/// blocks, nothing redirected).
fn block_byte(img: &Path, b: u64) -> u64 {
    let j = inspect(&[img]);
    j["devices"][0]["data_area_byte"].as_u64().unwrap() + b * 4096
}

fn run_on(imgs: &[PathBuf], cmd: &[&str]) -> Output {
    let mut args: Vec<String> = vec![cmd[0].to_string()];
    args.extend(d_args(imgs));
    args.extend(cmd[1..].iter().map(|s| s.to_string()));
    let o = nwvol().args(&args).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn warnings(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.contains("warning"))
        .map(str::to_string)
        .collect()
}

#[test]
fn cat_of_a_block_rotted_on_one_member_returns_the_good_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = setup(&dir, 2, 300_000);
    // A different block on each member: whichever member the read goes
    // to first has one bad block, which the other holds good.
    for (k, m) in imgs.iter().enumerate() {
        let at = find(m, &data[(k + 1) * 40_960..(k + 1) * 40_960 + 64]);
        rot(m, at + 7);
    }
    let o = run_on(&imgs, &["cat", "SYS:/DATA.BIN"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout == data, "cat returned other bytes");
    let w = warnings(&o);
    assert_eq!(w.len(), 1, "one warning: {w:?}");
    assert!(
        w[0].contains("SYS block") && w[0].contains("nwvol verify --repair"),
        "{w:?}"
    );
    assert!(
        (w[0].contains("m0.img:") && w[0].contains("read from") && w[0].contains("m1.img"))
            || (w[0].contains("m1.img:") && w[0].contains("m0.img")),
        "{w:?}"
    );
    // Read only: nothing was rewritten, verify still finds both.
    let (code, out) = verify(&imgs, &[]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("checksum-mismatch"), "{out}");
    // Alone, a member cannot serve its bad block: the read fails.
    let o = run_on(&imgs[..1], &["cat", "SYS:/DATA.BIN"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn a_write_locked_command_rewrites_the_bad_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, _) = setup(&dir, 2, 100_000);
    // The directory block naming the file, on m0.
    let at = find(&imgs[0], b"DATA.BIN");
    rot(&imgs[0], at + 40);
    let o = run_on(&imgs, &["mkdir", "SYS:/NEW"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("m0.img") && w[0].contains("rewritten from") && w[0].contains("m1.img"),
        "{w:?}"
    );
    let (code, out) = verify(&imgs, &[]);
    assert_eq!(code, 0, "{out}");
    // m0 alone now reads the directory.
    let o = run_on(&imgs[..1], &["ls", "SYS:/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("DATA.BIN"));
}

/// cat fails exit 1 naming the file and the block, and what reached stdout
/// is a prefix of the file that stops before the bad block.
fn assert_lost(imgs: &[PathBuf], data: &[u8], bad_at: usize) {
    let o = run_on(imgs, &["cat", "SYS:/DATA.BIN"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("SYS:/DATA.BIN") && err.contains("block") && err.contains("checksum"),
        "{err}"
    );
    assert!(
        o.stdout.len() <= bad_at / 4096 * 4096,
        "{} bytes out",
        o.stdout.len()
    );
    assert!(data.starts_with(&o.stdout), "bad bytes on stdout");
    let o = run_on(imgs, &["get", "SYS:/DATA.BIN", "-"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(data.starts_with(&o.stdout), "bad bytes from get");
}

#[test]
fn rot_on_every_member_fails_cat_without_bad_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = setup(&dir, 2, 300_000);
    let off = 204_800 + 100;
    for m in &imgs {
        let at = find(m, &data[off..off + 64]);
        rot(m, at);
    }
    assert_lost(&imgs, &data, off);
}

#[test]
fn rot_on_an_unmirrored_volume_fails_cat_without_bad_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = setup(&dir, 1, 300_000);
    let off = 122_880 + 5;
    let at = find(&imgs[0], &data[off..off + 64]);
    rot(&imgs[0], at);
    assert_lost(&imgs, &data, off);
}

#[test]
fn directory_block_rot_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, _) = setup(&dir, 1, 10_000);
    let at = find(&imgs[0], b"DATA.BIN");
    rot(&imgs[0], at + 40);
    let o = run_on(&imgs, &["ls", "SYS:/"]);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("checksum"), "{}", stderr(&o));
}

#[test]
fn fat_block_rot_is_detected_and_read_around() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = setup_with(&dir, 2, 100_000, &[]);
    // The FAT's first block (volume block 0) on m0: the file's entries.
    let at = block_byte(&imgs[0], 0) + 8 * 20 + 1;
    rot(&imgs[0], at);
    let o = run_on(&imgs, &["cat", "SYS:/DATA.BIN"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout == data);
    let w = warnings(&o);
    assert!(
        w.len() <= 1 && w.iter().all(|w| w.contains("block 0")),
        "{w:?}"
    );
    // Alone, m0 has no good copy of that FAT block: the FAT's own copy
    // serves the chain.
    let o = run_on(&imgs[..1], &["cat", "SYS:/DATA.BIN"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout == data);
}
