//! `nwvol verify` on damaged volume structures, through the binary: the
//! exit code says what happened (4 found, 1 all repaired, 0 clean), and the
//! files read back right afterwards from each member alone.

use std::path::{Path, PathBuf};

use crate::support::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn verify(imgs: &[&Path], extra: &[&str]) -> (i32, String) {
    let mut args: Vec<String> = vec!["verify".into()];
    args.extend(extra.iter().map(|x| x.to_string()));
    for p in imgs {
        args.push("-d".into());
        args.push(s(p).into());
    }
    let o = nwvol().args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

struct Vol {
    _dir: tempfile::TempDir,
    imgs: Vec<PathBuf>,
    files: Vec<(String, Vec<u8>)>,
}

impl Vol {
    /// A volume (4 KiB blocks) on `n` mirrored images with three files.
    fn new(n: usize) -> Vol {
        let dir = tempfile::tempdir().unwrap();
        let imgs: Vec<PathBuf> = (0..n).map(|i| img(&dir, &format!("m{i}.img"))).collect();
        let mut args = vec!["format", "-q", "--size", "64M", "--block-size", "4K"];
        if n > 1 {
            args.push("--mirror");
        }
        args.extend(imgs.iter().map(|p| s(p)));
        ok(&args);
        let mut files = Vec::new();
        for (i, len) in [70_000usize, 5_000, 300_000].iter().enumerate() {
            let data: Vec<u8> = (0..*len).map(|j| (j * 7 + i * 13) as u8).collect();
            let name = format!("F{i}.BIN");
            let p = dir.path().join(&name);
            std::fs::write(&p, &data).unwrap();
            let mut put = vec!["put".to_string(), "-q".into()];
            for m in &imgs {
                put.push("-d".into());
                put.push(s(m).into());
            }
            put.push(s(&p).into());
            put.push(format!("SYS:/{name}"));
            let put: Vec<&str> = put.iter().map(|x| x.as_str()).collect();
            ok(&put);
            files.push((name, data));
        }
        Vol {
            _dir: dir,
            imgs,
            files,
        }
    }

    fn paths(&self) -> Vec<&Path> {
        self.imgs.iter().map(|p| p.as_path()).collect()
    }

    /// Byte of the member image where logical byte `l` of SYS's segment 0
    /// lives (no hot-fix redirections in these tests).
    fn at(&self, member: usize, vol_byte: u64) -> u64 {
        let j = inspect(&[&self.imgs[member]]);
        let start = j["groups"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["present"] == true)
            .unwrap()["logical_start_byte"]
            .as_u64()
            .unwrap();
        let seg = j["volumes"][0]["segments"][0]["logical_sector"]
            .as_u64()
            .unwrap();
        start + seg * 512 + vol_byte
    }

    fn first_block(&self, name: &str) -> u64 {
        let v: serde_json::Value = serde_json::from_str(&ok(&[
            "stat",
            "--json",
            "-d",
            s(&self.imgs[0]),
            &format!("SYS:/{name}"),
        ]))
        .unwrap();
        v["entries"][0]["first_block"].as_u64().unwrap()
    }

    /// Every file reads back right from every member alone.
    fn files_intact(&self) {
        for m in &self.imgs {
            for (name, data) in &self.files {
                let o = run(&["cat", "-d", s(m), &format!("SYS:/{name}")]);
                assert!(o.status.success(), "{name} on {}", m.display());
                assert_eq!(&o.stdout, data, "{name} on {}", m.display());
            }
        }
    }

    /// 4 without repair, 1 with it, then 0; the code is named.
    fn found_and_repaired(&self, code: &str) {
        let (c, out) = verify(&self.paths(), &[]);
        assert_eq!(c, 4, "{out}");
        assert!(out.contains(code), "want {code}: {out}");
        let (c, out) = verify(&self.paths(), &["--repair"]);
        assert_eq!(c, 1, "{out}");
        let (c, out) = verify(&self.paths(), &[]);
        assert_eq!(c, 0, "second verify: {out}");
        self.files_intact();
    }
}

/// The FAT entry of block `b` (8 bytes at 8b of the FAT; 4 KiB blocks,
/// so the FAT's copy starts F blocks later).
fn fat_entry(b: u64) -> u64 {
    8 * b
}

#[test]
fn flipped_fat_entry_on_an_unmirrored_volume() {
    let v = Vol::new(1);
    let b = v.first_block("F0.BIN");
    let at = v.at(0, fat_entry(b) + 4);
    let old = peek(&v.imgs[0], at, 4);
    poke(&v.imgs[0], at, &[old[0] ^ 0x41, old[1], old[2], old[3]]);
    v.found_and_repaired("fat-");
}

#[test]
fn flipped_fat_entry_on_one_member_of_a_mirror() {
    let v = Vol::new(2);
    let b = v.first_block("F2.BIN");
    let at = v.at(1, fat_entry(b + 3) + 4);
    poke(&v.imgs[1], at, &[0x07, 0, 0, 0]);
    v.found_and_repaired("checksum-mismatch");
}

#[test]
fn damaged_header_copy() {
    let v = Vol::new(2);
    // Hot-fix header copy 1 of member 0: partition sector 32 + 32 (copy
    // sectors 32 apart), at device sector 2048.
    let at = (2048 + 64) * 512 + 10;
    poke(&v.imgs[0], at, b"garbage!");
    v.found_and_repaired("header");
}

/// A hot-fix table header copy with a right CRC but its region where the
/// pool's geometry does not put it, and a mirror table copy with a
/// checkpoint past the logical partition: opening already counts each such
/// copy as damaged (the validators run where the headers are read), the
/// volume still opens from the other copies, and verify repairs them.
#[test]
fn header_copies_that_decode_but_do_not_validate_are_damaged_at_open() {
    use nwvol::layout::hotfix::HotfixTableHeader;
    use nwvol::layout::mirror::MirrorHeader;
    let v = Vol::new(1);
    // Copy c's sectors: partition sector 32 + 32c (hot-fix header, mirror
    // table, hot-fix table header), the partition at device sector 2048.
    let copy = |c: u64, k: u64| (2048 + 32 + 32 * c + k) * 512;
    let mut t = HotfixTableHeader::decode(&peek(&v.imgs[0], copy(1, 2), 512)).unwrap();
    t.region_first_sector += 8;
    poke(&v.imgs[0], copy(1, 2), &t.encode());
    let raw: [u8; 512] = peek(&v.imgs[0], copy(2, 1), 512).try_into().unwrap();
    let mut m = MirrorHeader::decode(&raw).unwrap();
    m.ext.as_mut().unwrap().members[0].checkpoint = 1 << 40;
    poke(&v.imgs[0], copy(2, 1), &m.encode());

    let j = inspect(&[&v.imgs[0]]);
    let copies = j["devices"][0]["header_copies"].as_array().unwrap().clone();
    let says = |c: usize, what: &str| copies[c].as_str().unwrap().contains(what);
    assert!(says(0, "good") && says(3, "good"), "{copies:?}");
    assert!(
        says(1, "damaged") && says(1, "region first sector"),
        "{copies:?}"
    );
    assert!(says(2, "damaged") && says(2, "checkpoint"), "{copies:?}");
    v.files_intact();
    v.found_and_repaired("header");
}

#[test]
fn loop_in_a_chain() {
    let v = Vol::new(1);
    let b = v.first_block("F2.BIN");
    // Block b+5's next points back at b+2 (on both FAT copies, so the
    // copies agree and only the chain check sees it).
    let j = inspect(&[&v.imgs[0]]);
    let blocks = j["volumes"][0]["segments"][0]["blocks"].as_u64().unwrap();
    let f = (blocks * 8).div_ceil(4096); // FAT blocks (FORMAT.md)
    for base in [0u64, f * 4096] {
        let at = v.at(0, base + fat_entry(b + 5) + 4);
        poke(&v.imgs[0], at, &((b + 2) as u32).to_le_bytes());
    }
    let (c, out) = verify(&v.paths(), &[]);
    assert_eq!(c, 4, "{out}");
    assert!(out.contains("loop"), "{out}");
    assert!(out.contains("SYS:/F2.BIN"), "names the file: {out}");
    let (c, out) = verify(&v.paths(), &["--repair"]);
    assert_eq!(c, 1, "{out}");
    assert_eq!(verify(&v.paths(), &[]).0, 0);
}

/// FAT blocks, checksum blocks and the directory table's first block of
/// SYS (FORMAT.md: FAT, FAT copy, checksums, then the table and its copy).
fn geometry(v: &Vol) -> (u64, u64) {
    let j = inspect(&[&v.imgs[0]]);
    let blocks = j["volumes"][0]["segments"][0]["blocks"].as_u64().unwrap();
    let f = (blocks * 8).div_ceil(4096);
    let c = (blocks * 4).div_ceil(4096);
    (f, 2 * f + c)
}

#[test]
fn stale_fat_copy() {
    let v = Vol::new(1);
    let (f, _) = geometry(&v);
    let b = v.first_block("F0.BIN");
    // The copy says the file's second block is free.
    let at = v.at(0, f * 4096 + fat_entry(b + 1));
    poke(&v.imgs[0], at, &[0u8; 8]);
    v.found_and_repaired("fat-copy");
}

#[test]
fn damaged_directory_entry() {
    let v = Vol::new(2);
    let (_, dir) = geometry(&v);
    // Entry 2 (F1.BIN) of the primary table, on both members: only the
    // table's copy still has it right.
    for m in 0..2 {
        let at = v.at(m, dir * 4096 + 2 * 128);
        poke(&v.imgs[m], at + 8, &[0xEE; 24]);
    }
    v.found_and_repaired("dir");
}

#[test]
fn cross_link_of_two_live_files_is_reported_not_guessed() {
    let v = Vol::new(1);
    let (f, _) = geometry(&v);
    let b0 = v.first_block("F0.BIN");
    let b2 = v.first_block("F2.BIN");
    // F0's second block now continues into F2's chain, in both FAT copies.
    for base in [0, f * 4096] {
        let at = v.at(0, base + fat_entry(b0 + 1));
        let mut e = 1u32.to_le_bytes().to_vec();
        e.extend_from_slice(&((b2 + 1) as u32).to_le_bytes());
        poke(&v.imgs[0], at, &e);
    }
    let (c, out) = verify(&v.paths(), &[]);
    assert_eq!(c, 4, "{out}");
    assert!(out.contains("cross"), "{out}");
    assert!(
        out.contains("SYS:/F0.BIN") && out.contains("SYS:/F2.BIN"),
        "{out}"
    );
    let before = std::fs::read(&v.imgs[0]).unwrap();
    let (c, out) = verify(&v.paths(), &["--repair"]);
    assert_eq!(c, 4, "never guesses: {out}");
    let after = std::fs::read(&v.imgs[0]).unwrap();
    // The FAT blocks' checksums may be recorded again, nothing else.
    let diff = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert!(diff <= 8, "{diff} bytes changed");
}
