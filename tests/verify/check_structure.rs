//! The structure check on real images: made with the real binary (format,
//! put, mkdir, rm), damaged by writing bytes into the image file, then
//! checked through the library. Each kind of damage is found without
//! --repair (and nothing is written), --dry-run says what repair would do
//! (and writes nothing), --repair fixes it, a second check is clean, and
//! the files read back right.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::support::files::*;
use crate::support::netware::lay_out_disk;
use crate::support::*;

use nwvol::assembly::Assembly;
use nwvol::check::{Action, CheckOptions, Finding, check_structures};
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::layout::voltab::{VOLTAB_COPY_BYTES, VolumeTable};
use nwvol::partition::Partition;
use nwvol::volume::fat::Fat;
use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

const BS: usize = 4096;

/// The local contents of the files put on the test volume.
fn a_data() -> Vec<u8> {
    bytes(1, 3 * BS + 100)
}
fn b_data() -> Vec<u8> {
    bytes(2, 2 * BS)
}
fn c_data() -> Vec<u8> {
    bytes(3, 5000)
}

/// A formatted 16 MiB image (volume SYS, 4 KiB blocks) holding A.TXT (4
/// blocks), B.BIN (2), DIR/C.TXT (2) and a long-named file, in that order.
struct Vol {
    _dir: tempfile::TempDir,
    img: PathBuf,
}

fn volume() -> Vol {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "16M", &[]);
    for (name, data) in [("a", a_data()), ("b", b_data()), ("c", c_data())] {
        std::fs::write(dir.path().join(name), data).unwrap();
    }
    let local = |n: &str| dir.path().join(n).display().to_string();
    nw_ok(&imgs, &["put", &local("a"), "SYS:/A.TXT"]);
    nw_ok(&imgs, &["put", &local("b"), "SYS:/B.BIN"]);
    nw_ok(&imgs, &["mkdir", "SYS:/DIR"]);
    nw_ok(&imgs, &["put", &local("c"), "SYS:/DIR/C.TXT"]);
    nw_ok(&imgs, &["put", &local("c"), "SYS:/Long Name.txt"]);
    Vol {
        img: imgs[0].clone(),
        _dir: dir,
    }
}

fn open(img: &Path) -> Assembly {
    let d = FileDevice::open(img, &OpenOptions::read_write()).unwrap();
    Assembly::open(vec![Arc::new(d) as Arc<dyn Device>]).unwrap()
}

/// Runs the check with the options; returns the findings.
fn check(img: &Path, repair: bool, dry_run: bool) -> Vec<Finding> {
    let sys = open(img);
    let mut out = Vec::new();
    check_structures(&sys, &CheckOptions { repair, dry_run }, &mut |f| {
        out.push(f)
    })
    .unwrap();
    out
}

/// Writes bytes into the image file.
fn poke(img: &Path, off: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(img).unwrap();
    f.write_all_at(bytes, off).unwrap();
}

fn peek(img: &Path, off: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(img).unwrap();
    let mut b = vec![0u8; len];
    f.read_exact_at(&mut b, off).unwrap();
    b
}

/// Where the image file holds logical byte `logical` of group 0.
fn phys(sys: &Assembly, logical: u64) -> u64 {
    sys.groups[0].members[0].partition.map(logical, 1)[0].device_offset
}

/// Image offsets of block `b`'s FAT entry: (FAT, FAT copy).
fn fat_at(img: &Path, b: u32) -> (u64, u64) {
    let sys = open(img);
    let (_, p, c) = sys.volumes[0].fat_location(b).unwrap();
    (phys(&sys, p), phys(&sys, c))
}

fn fat_raw(seq: u32, next: u32) -> Vec<u8> {
    [seq.to_le_bytes(), next.to_le_bytes()].concat()
}

/// Sets block `b`'s FAT entry in both copies.
fn set_fat(img: &Path, b: u32, seq: u32, next: u32) {
    let (p, c) = fat_at(img, b);
    poke(img, p, &fat_raw(seq, next));
    poke(img, c, &fat_raw(seq, next));
}

/// Image offsets of directory entry `idx`: (table, copy).
fn entry_at(img: &Path, idx: u32) -> (u64, u64) {
    let sys = open(img);
    let v = &sys.volumes[0];
    let io = sys.io.as_ref();
    let per = (v.block_size / 128) as usize;
    let at = |first: u32| {
        let chain = Fat::chain(v, io, first, None).unwrap();
        let (_, off) = v.block_location(chain[idx as usize / per]).unwrap();
        phys(&sys, off + (idx as usize % per) as u64 * 128)
    };
    (at(v.dir_block), at(v.dir_copy_block))
}

/// A file's entry index and blocks.
fn file(img: &Path, path: &str) -> (u32, Vec<u32>) {
    let sys = open(img);
    let ov = OpenVolume::from_assembly(&sys, "SYS", OpenMode::ReadOnly).unwrap();
    let Target::Entry(idx) = ov.resolve(&NwPath::parse(path).unwrap()).unwrap() else {
        panic!("{path} is the root");
    };
    let node = ov.index().get(idx).unwrap().clone();
    (idx, ov.file_blocks(&node).unwrap())
}

fn cat(img: &Path, path: &str) -> Vec<u8> {
    let o = nw(&[img.to_path_buf()], &["cat", path]);
    assert!(
        o.status.success(),
        "cat {path}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

/// The whole cycle for one kind of damage: found without repair and
/// nothing written, dry run writes nothing and says it would repair,
/// repair repairs every finding, a second check is clean.
fn found_and_repaired(img: &Path, code: &str) -> Vec<Finding> {
    let before = std::fs::read(img).unwrap();
    let found = check(img, false, false);
    assert!(codes(&found).contains(&code), "{code} not in {found:#?}");
    assert!(found.iter().all(|f| f.action == Action::None), "{found:#?}");
    assert!(
        std::fs::read(img).unwrap() == before,
        "a check without --repair wrote"
    );
    let dry = check(img, true, true);
    assert_eq!(codes(&dry), codes(&found));
    assert!(
        dry.iter()
            .all(|f| matches!(f.action, Action::WouldRepair(_))),
        "{dry:#?}"
    );
    assert!(std::fs::read(img).unwrap() == before, "a dry run wrote");
    let fixed = check(img, true, false);
    assert_eq!(codes(&fixed), codes(&found));
    assert!(
        fixed
            .iter()
            .all(|f| matches!(f.action, Action::Repaired(_))),
        "{fixed:#?}"
    );
    assert!(
        std::fs::read(img).unwrap() != before,
        "repair wrote nothing"
    );
    let again = check(img, false, false);
    assert!(again.is_empty(), "after repair: {again:#?}");
    fixed
}

fn files_read_back(img: &Path) {
    assert_eq!(cat(img, "SYS:/A.TXT"), a_data());
    assert_eq!(cat(img, "SYS:/B.BIN"), b_data());
    assert_eq!(cat(img, "SYS:/DIR/C.TXT"), c_data());
    assert_eq!(cat(img, "SYS:/Long Name.txt"), c_data());
}

#[test]
fn a_clean_volume_has_no_finding_and_repair_writes_nothing() {
    let v = volume();
    let before = std::fs::read(&v.img).unwrap();
    assert!(check(&v.img, false, false).is_empty());
    assert!(check(&v.img, true, false).is_empty());
    assert!(std::fs::read(&v.img).unwrap() == before);
}

#[test]
fn everyday_operations_leave_a_volume_that_checks_clean() {
    let v = volume();
    let imgs = std::slice::from_ref(&v.img);
    let dir = v._dir.path();
    // Enough names to grow the directory table by a block, long names
    // among them.
    let many = dir.join("many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..40 {
        std::fs::write(
            many.join(format!("a file called {i}.txt")),
            bytes(i, 100 * i as usize),
        )
        .unwrap();
    }
    nw_ok(imgs, &["put", "-r", many.to_str().unwrap(), "SYS:/MANY"]);
    nw_ok(imgs, &["mv", "SYS:/A.TXT", "SYS:/renamed file.txt"]);
    nw_ok(imgs, &["mv", "SYS:/MANY/a file called 3.txt", "SYS:/DIR"]);
    nw_ok(imgs, &["rm", "SYS:/B.BIN"]);
    nw_ok(imgs, &["rm", "SYS:/MANY/a file called 5.txt"]);
    nw_ok(imgs, &["purge", "SYS:/MANY/a file called 5.txt"]);
    nw_ok(imgs, &["salvage", "SYS:/B.BIN"]);
    let local = dir.join("c");
    nw_ok(
        imgs,
        &["put", local.to_str().unwrap(), "SYS:/Long Name.txt"],
    );
    nw_ok(imgs, &["rm", "-r", "SYS:/MANY"]);
    let f = check(&v.img, false, false);
    assert!(f.is_empty(), "{f:#?}");
    assert_eq!(cat(&v.img, "SYS:/renamed file.txt"), a_data());
    assert_eq!(cat(&v.img, "SYS:/B.BIN"), b_data());
}

#[test]
fn a_flipped_fat_entry_is_rewritten_from_the_copy() {
    let v = volume();
    let (_, a) = file(&v.img, "SYS:/A.TXT");
    let (p, _) = fat_at(&v.img, a[1]);
    poke(&v.img, p, &fat_raw(1, 3000));
    let fixed = found_and_repaired(&v.img, "fat-copy-differs");
    assert_eq!(fixed.len(), 1, "{fixed:#?}");
    assert_eq!(fixed[0].structure, "FAT");
    assert_eq!(fixed[0].path.as_deref(), Some("SYS:/A.TXT"));
    assert_eq!(fixed[0].blocks.unwrap().first, a[1]);
    files_read_back(&v.img);
}

#[test]
fn a_stale_fat_copy_is_rewritten_from_the_fat() {
    let v = volume();
    let (_, b) = file(&v.img, "SYS:/B.BIN");
    // The copy as it was before B.BIN was written: its entries free.
    for &x in &b {
        let (_, c) = fat_at(&v.img, x);
        poke(&v.img, c, &[0; 8]);
    }
    let fixed = found_and_repaired(&v.img, "fat-copy-differs");
    assert_eq!(fixed[0].structure, "FAT copy");
    assert_eq!(fixed[0].path.as_deref(), Some("SYS:/B.BIN"));
    files_read_back(&v.img);
}

#[test]
fn a_damaged_directory_entry_is_rewritten_from_the_copy() {
    let v = volume();
    let (idx, _) = file(&v.img, "SYS:/A.TXT");
    let (t, _) = entry_at(&v.img, idx);
    // Name length 0: the entry no longer decodes.
    poke(&v.img, t + 11, &[0]);
    let fixed = found_and_repaired(&v.img, "dir-copy-differs");
    assert_eq!(fixed[0].structure, "directory table");
    files_read_back(&v.img);
}

#[test]
fn a_stale_directory_copy_is_rewritten_from_the_table() {
    let v = volume();
    let (idx, _) = file(&v.img, "SYS:/B.BIN");
    let (_, c) = entry_at(&v.img, idx);
    // The copy's entry as it was before B.BIN was written: free.
    let mut free = vec![0u8; 128];
    free[..4].copy_from_slice(&[0xFF; 4]);
    poke(&v.img, c, &free);
    let fixed = found_and_repaired(&v.img, "dir-copy-differs");
    assert_eq!(fixed[0].structure, "directory table copy");
    assert_eq!(fixed[0].path.as_deref(), Some("SYS:/B.BIN"));
    files_read_back(&v.img);
}

#[test]
fn a_damaged_header_copy_is_rewritten() {
    let v = volume();
    // Hot-fix header copy 2: partition sector 96 (the partition starts at
    // device sector 2048).
    let at = (2048 + 96) * 512;
    poke(&v.img, at, b"XOTFIX00");
    let fixed = found_and_repaired(&v.img, "header-copy-damaged");
    assert_eq!(fixed[0].structure, "hot-fix header copy 2");
    assert_eq!(peek(&v.img, at, 8), b"HOTFIX00");
    files_read_back(&v.img);
}

#[test]
fn a_stale_volume_table_copy_is_outvoted() {
    let v = volume();
    let sys = open(&v.img);
    let at = phys(&sys, 3 * VOLTAB_COPY_BYTES as u64);
    drop(sys);
    // Copy 3 valid (CRCs right) but holding another table: no volume.
    let old = VolumeTable {
        entries: vec![],
        records: vec![],
        nwvol: true,
    }
    .encode();
    poke(&v.img, at, &old);
    let fixed = found_and_repaired(&v.img, "voltab-copy-stale");
    assert_eq!(fixed[0].structure, "volume table copy 3");
    files_read_back(&v.img);
    // A damaged copy likewise.
    poke(&v.img, at + 100, &[0x5A; 4]);
    found_and_repaired(&v.img, "voltab-copy-damaged");
}

#[test]
fn a_cross_link_of_two_live_files_is_reported_and_left_alone() {
    let v = volume();
    let (_, a) = file(&v.img, "SYS:/A.TXT");
    let (_, b) = file(&v.img, "SYS:/B.BIN");
    set_fat(&v.img, a[1], 1, b[0]);
    let before = std::fs::read(&v.img).unwrap();
    let f = check(&v.img, true, false);
    let x = f
        .iter()
        .find(|f| f.code == "cross-link")
        .expect("cross-link");
    assert!(
        x.problem.contains("SYS:/A.TXT") && x.problem.contains("SYS:/B.BIN"),
        "{x:?}"
    );
    assert!(matches!(x.action, Action::Unrepairable(_)), "{x:?}");
    // A.TXT's own blocks after the link are lost, but may be its data:
    // not reclaimed either.
    let lost = f.iter().find(|f| f.code == "lost-chain").expect("lost");
    assert!(matches!(lost.action, Action::Unrepairable(_)), "{lost:?}");
    assert!(f.iter().all(|f| !f.action.corrected()), "{f:#?}");
    assert!(std::fs::read(&v.img).unwrap() == before, "repair guessed");
    assert!(codes(&check(&v.img, false, false)).contains(&"cross-link"));
    // Both FAT copies of the changed block fail their checksums now, and
    // reads never take a block that fails: B.BIN's chain cannot be read
    // until the cross-link is resolved.
    let o = nw(std::slice::from_ref(&v.img), &["cat", "SYS:/B.BIN"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("checksum") && err.contains("block"), "{err}");
}

#[test]
fn a_cross_link_with_a_deleted_file_drops_the_deleted_file() {
    let v = volume();
    let (_, a) = file(&v.img, "SYS:/A.TXT");
    let (_, b) = file(&v.img, "SYS:/B.BIN");
    nw_ok(std::slice::from_ref(&v.img), &["rm", "SYS:/B.BIN"]);
    // The deleted file's chain runs into A.TXT's.
    set_fat(&v.img, b[0], 0, a[2]);
    let fixed = found_and_repaired(&v.img, "cross-link");
    assert!(fixed.iter().any(|f| f.code == "cross-link"
        && matches!(&f.action, Action::Repaired(s) if s.contains("B.BIN"))));
    assert_eq!(cat(&v.img, "SYS:/A.TXT"), a_data());
    let df = df(std::slice::from_ref(&v.img), "SYS");
    assert_eq!(df["deleted_files"], 0, "{df}");
}

#[test]
fn a_loop_is_cut() {
    let v = volume();
    let (_, a) = file(&v.img, "SYS:/A.TXT");
    set_fat(&v.img, a[3], 3, a[1]);
    let fixed = found_and_repaired(&v.img, "chain-loop");
    assert_eq!(fixed[0].path.as_deref(), Some("SYS:/A.TXT"));
    files_read_back(&v.img);
}

#[test]
fn sequence_numbers_out_of_order_are_renumbered() {
    let v = volume();
    let (_, a) = file(&v.img, "SYS:/A.TXT");
    set_fat(&v.img, a[2], 7, a[3]);
    let fixed = found_and_repaired(&v.img, "chain-sequence");
    assert_eq!(fixed.len(), 1, "{fixed:#?}");
    assert_eq!(fixed[0].blocks.unwrap().first, a[2]);
    files_read_back(&v.img);
}

#[test]
fn a_damaged_long_name_record_is_freed_and_the_alias_stays() {
    let v = volume();
    let sys = open(&v.img);
    let ov = OpenVolume::from_assembly(&sys, "SYS", OpenMode::ReadOnly).unwrap();
    let Target::Entry(idx) = ov
        .resolve(&NwPath::parse("SYS:/Long Name.txt").unwrap())
        .unwrap()
    else {
        panic!("root");
    };
    let slot = ov.index().get(idx).unwrap().long_slots[0];
    drop(ov);
    drop(sys);
    let (t, c) = entry_at(&v.img, slot);
    for at in [t, c] {
        // A byte of the name piece: the record's CRC no longer matches.
        poke(&v.img, at + 30, b"#");
    }
    let fixed = found_and_repaired(&v.img, "dir-entry-damaged");
    assert_eq!(fixed.len(), 1, "{fixed:#?}");
    assert_eq!(cat(&v.img, "SYS:/LONGNA~1.TXT"), c_data());
}

#[test]
fn a_short_chain_truncates_the_file() {
    let v = volume();
    let (_, a) = file(&v.img, "SYS:/A.TXT");
    set_fat(&v.img, a[1], 1, 0xFFFF_FFFF);
    let fixed = found_and_repaired(&v.img, "chain-short");
    assert!(codes(&fixed).contains(&"lost-chain"), "the cut-off blocks");
    assert_eq!(cat(&v.img, "SYS:/A.TXT"), a_data()[..2 * BS]);
    assert_eq!(cat(&v.img, "SYS:/B.BIN"), b_data());
}

#[test]
fn a_long_chain_loses_its_tail() {
    let v = volume();
    let (_, c) = file(&v.img, "SYS:/DIR/C.TXT");
    let used = df(std::slice::from_ref(&v.img), "SYS")["used_blocks"].clone();
    let spare = 3000;
    set_fat(&v.img, c[1], 1, spare);
    set_fat(&v.img, spare, 2, 0xFFFF_FFFF);
    found_and_repaired(&v.img, "chain-long");
    files_read_back(&v.img);
    assert_eq!(df(std::slice::from_ref(&v.img), "SYS")["used_blocks"], used);
}

#[test]
fn a_lost_chain_is_freed() {
    let v = volume();
    let used = df(std::slice::from_ref(&v.img), "SYS")["used_blocks"].clone();
    set_fat(&v.img, 3000, 0, 3001);
    set_fat(&v.img, 3001, 1, 0xFFFF_FFFF);
    let fixed = found_and_repaired(&v.img, "lost-chain");
    assert_eq!(fixed.len(), 1, "{fixed:#?}");
    assert_eq!(fixed[0].blocks.unwrap().first, 3000);
    assert_eq!(fixed[0].blocks.unwrap().count, 2);
    assert_eq!(df(std::slice::from_ref(&v.img), "SYS")["used_blocks"], used);
    files_read_back(&v.img);
}

#[test]
fn repair_reaches_every_member_of_a_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["m0.img", "m1.img"], "16M", &["--mirror"]);
    // The same damage on both members (the mirror check sees no
    // difference; the structure check sees a lost chain).
    for m in &imgs {
        set_fat(m, 3000, 0, 3001);
        set_fat(m, 3001, 1, 0xFFFF_FFFF);
    }
    let devs = |paths: &[PathBuf]| -> Assembly {
        let d = paths
            .iter()
            .map(|p| {
                Arc::new(FileDevice::open(p, &OpenOptions::read_write()).unwrap())
                    as Arc<dyn Device>
            })
            .collect();
        Assembly::open(d).unwrap()
    };
    let run = |sys: &Assembly, repair: bool| {
        let mut out = Vec::new();
        let opts = CheckOptions {
            repair,
            dry_run: false,
        };
        check_structures(sys, &opts, &mut |f| out.push(f)).unwrap();
        out
    };
    let fixed = run(&devs(&imgs), true);
    assert_eq!(codes(&fixed), vec!["lost-chain"]);
    assert!(fixed[0].action.corrected());
    for m in &imgs {
        let alone = run(&devs(std::slice::from_ref(m)), false);
        assert!(alone.is_empty(), "{}: {alone:#?}", m.display());
    }
}

#[test]
fn a_volume_of_two_segments_checks_clean_and_is_repaired_in_its_second() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["s0.img", "s1.img"], "16M", &[]);
    let data = bytes(5, 3 << 20);
    let local = dir.path().join("big");
    std::fs::write(&local, &data).unwrap();
    nw_ok(&imgs, &["put", local.to_str().unwrap(), "SYS:/BIG"]);
    let open_all = || -> Assembly {
        let d = imgs
            .iter()
            .map(|p| {
                Arc::new(FileDevice::open(p, &OpenOptions::read_write()).unwrap())
                    as Arc<dyn Device>
            })
            .collect();
        Assembly::open(d).unwrap()
    };
    let run = |repair: bool| {
        let sys = open_all();
        assert_eq!(sys.volumes[0].segments.len(), 2, "one volume over both");
        let mut out = Vec::new();
        let opts = CheckOptions {
            repair,
            dry_run: false,
        };
        check_structures(&sys, &opts, &mut |f| out.push(f)).unwrap();
        out
    };
    assert!(run(false).is_empty(), "{:#?}", run(false));
    // A lost block in the second segment, in both FAT copies there.
    let sys = open_all();
    let v = &sys.volumes[0];
    let b = v.total_blocks - 2;
    let (g, p, c) = v.fat_location(b).unwrap();
    let m = &sys.groups[g].members[0].partition;
    let file = PathBuf::from(m.name());
    let (p, c) = (m.map(p, 1)[0].device_offset, m.map(c, 1)[0].device_offset);
    drop(sys);
    poke(&file, p, &fat_raw(0, 0xFFFF_FFFF));
    poke(&file, c, &fat_raw(0, 0xFFFF_FFFF));
    let fixed = run(true);
    assert_eq!(codes(&fixed), vec!["lost-chain"], "{fixed:#?}");
    assert_eq!(fixed[0].blocks.unwrap().first, b);
    assert!(run(false).is_empty());
    let o = nw(&imgs, &["cat", "SYS:/BIG"]);
    assert!(o.stdout == data);
}

#[test]
fn duplicate_names_are_told_apart_by_renaming() {
    let v = volume();
    let (idx, _) = file(&v.img, "SYS:/B.BIN");
    let (t, c) = entry_at(&v.img, idx);
    for at in [t, c] {
        poke(&v.img, at + 12, b"A.TXT");
    }
    let fixed = found_and_repaired(&v.img, "duplicate-name");
    assert!(matches!(&fixed[0].action, Action::Repaired(s) if s.contains("A~1.TXT")));
    assert_eq!(cat(&v.img, "SYS:/A.TXT"), a_data());
    assert_eq!(cat(&v.img, "SYS:/A~1.TXT"), b_data());
}

#[test]
fn an_orphan_moves_into_the_root() {
    let v = volume();
    let (idx, _) = file(&v.img, "SYS:/DIR/C.TXT");
    let (t, c) = entry_at(&v.img, idx);
    for at in [t, c] {
        poke(&v.img, at, &999u32.to_le_bytes());
    }
    let fixed = found_and_repaired(&v.img, "orphan-entry");
    assert_eq!(fixed[0].path.as_deref(), Some("SYS:/C.TXT"));
    assert_eq!(cat(&v.img, "SYS:/C.TXT"), c_data());
}

#[test]
fn a_bad_hotfix_table_copy_is_rewritten() {
    let v = volume();
    // Redirect one unit, as a write error would, so the tables hold an
    // entry.
    let d: Arc<dyn Device> =
        Arc::new(FileDevice::open(&v.img, &OpenOptions::read_write()).unwrap());
    let p = Partition::open(d).unwrap();
    let unit = 8 << 20;
    let mut data = vec![0u8; 4096];
    p.read_logical(&mut data, unit).unwrap();
    p.redirect_unit(unit, &data).unwrap();
    let region = p.start_byte + u64::from(p.pool.region_first_sector(2)) * 512;
    drop(p);
    assert!(check(&v.img, false, false).is_empty());
    // Copy 2's entry now names another slot: its CRC no longer matches.
    poke(&v.img, region + 4, &7u32.to_le_bytes());
    let fixed = found_and_repaired(&v.img, "hotfix-table-bad");
    assert_eq!(fixed[0].structure, "hot-fix table copy 2");
    files_read_back(&v.img);
}

#[test]
fn a_plain_netware_image_checks_clean_and_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = img(&dir, "netware312.img");
    let (bytes, _) = lay_out_disk();
    std::fs::write(&path, &bytes).unwrap();
    assert!(
        check(&path, false, false).is_empty(),
        "{:#?}",
        check(&path, false, false)
    );
    assert!(check(&path, true, false).is_empty());
    // A stale header copy and a lost chain: found, not repaired.
    let p = 63 * 512;
    let copy3 = p + (32 + 96) * 512;
    let mut damaged = bytes.clone();
    let ds = u32::from_le_bytes(damaged[copy3 + 20..copy3 + 24].try_into().unwrap());
    damaged[copy3 + 20..copy3 + 24].copy_from_slice(&(ds - 8).to_le_bytes());
    let data = p + (32 + 192 + 128) * 512;
    damaged[data + 8 * 900..data + 8 * 901].copy_from_slice(&fat_raw(0, 0xFFFF_FFFF));
    std::fs::write(&path, &damaged).unwrap();
    let f = check(&path, true, false);
    assert_eq!(codes(&f), vec!["header-copy-stale", "lost-chain"], "{f:#?}");
    for x in &f {
        assert!(
            matches!(&x.action, Action::Unrepairable(s) if s.contains("plain NetWare")),
            "{x:?}"
        );
    }
    assert!(
        std::fs::read(&path).unwrap() == damaged,
        "wrote to plain NetWare"
    );
}

/// `rm -r` of a tree one of whose files has a damaged chain (a loop)
/// stops at it, names the damage and removes nothing (every chain of a
/// level is walked before any of its entries is written free), so that
/// nothing is freed on a guess; after a repair the same `rm -r`
/// removes the tree and the volume checks clean.
#[test]
fn rm_r_stops_at_a_damaged_chain_and_removes_nothing() {
    let v = volume();
    let imgs = [v.img.clone()];
    let c = c_data();
    let src = v._dir.path().join("a");
    for name in ["SYS:/DIR/C2.TXT", "SYS:/DIR/C3.TXT"] {
        nw_ok(&imgs, &["put", src.to_str().unwrap(), name]);
    }
    let (_, blocks) = file(&v.img, "SYS:/DIR/C2.TXT");
    assert_eq!(blocks.len(), 4, "{blocks:?}");
    {
        // The loop written through the volume's I/O, so that the FAT
        // block's checksum matches it: damage no checksum disowns.
        let sys = open(&v.img);
        let e = nwvol::layout::fat::FatEntry::Used {
            seq: 2,
            next: Some(blocks[1]),
        };
        Fat::write_entries(&sys.volumes[0], sys.io.as_ref(), &[(blocks[2], e)]).unwrap();
        sys.io.sync().unwrap();
    }
    let damage = codes(&check(&v.img, false, false));
    assert!(damage.contains(&"chain-loop"), "{damage:?}");
    let err = nw_fails(&imgs, &["rm", "-r", "SYS:/DIR"], 1, &["loop"]);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Nothing was removed or freed: the check finds the loop's damage as
    // before, and nothing more.
    assert_eq!(codes(&check(&v.img, false, false)), damage);
    let ls = nw_ok(&imgs, &["ls", "SYS:/DIR"]);
    for f in ["C.TXT", "C2.TXT", "C3.TXT"] {
        assert!(ls.contains(f), "{ls}");
    }
    assert_eq!(cat(&v.img, "SYS:/DIR/C3.TXT"), a_data());
    assert_eq!(cat(&v.img, "SYS:/DIR/C.TXT"), c);
    check(&v.img, true, false);
    nw_ok(&imgs, &["rm", "-r", "SYS:/DIR"]);
    assert!(!nw_ok(&imgs, &["ls", "SYS:/"]).contains("DIR"));
    assert!(check(&v.img, false, false).is_empty());
    assert_eq!(cat(&v.img, "SYS:/A.TXT"), a_data());
    assert_eq!(cat(&v.img, "SYS:/B.BIN"), b_data());
    assert_eq!(cat(&v.img, "SYS:/Long Name.txt"), c);
}
