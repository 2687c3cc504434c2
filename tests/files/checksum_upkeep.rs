//! Block checksums kept by the real binary: after file and volume commands,
//! the raw image bytes of every allocated block match the CRC32 in its
//! checksum entry, on every member (FORMAT.md "Block checksums").

use std::collections::HashMap;
use std::path::PathBuf;

use crate::support::files::*;
use crate::support::inspect;

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// What the raw check of one volume found.
#[derive(Debug, Default)]
struct Found {
    /// Allocated blocks whose entry equals the CRC32 of their bytes, summed
    /// over every member.
    checked: u64,
    /// Allocated blocks with entry 0 (never written, all zero).
    unrecorded: u64,
}

/// Reads the images directly (no nwvol code) and checks volume `vol`:
/// every block whose FAT entry is not free, outside the checksum
/// fragments, has an entry equal to the CRC32 of its bytes on every member
/// of its group, or entry 0 and all-zero bytes.
fn check_raw(imgs: &[PathBuf], vol: &str) -> Found {
    let j = inspect(&imgs.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let v = j["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == vol)
        .unwrap_or_else(|| panic!("no volume {vol}: {j}"));
    assert_eq!(v["checksums"], true, "{v}");
    let bs = n(&v["block_size"]) as usize;
    // Group ID -> (image, logical partition's byte in it) per member.
    let mut members: HashMap<u64, Vec<(PathBuf, u64)>> = HashMap::new();
    for g in j["groups"].as_array().unwrap() {
        // Members not given (device null) are not checked.
        for m in g["members"].as_array().unwrap() {
            let Some(dev) = m["device"].as_str() else {
                continue;
            };
            let dev = PathBuf::from(dev);
            members
                .entry(n(&g["group_id"]))
                .or_default()
                .push((dev, n(&m["logical_start_byte"])));
        }
    }
    let mut found = Found::default();
    for sg in v["segments"].as_array().unwrap() {
        let blocks = n(&sg["blocks"]) as usize;
        let f = (blocks * 8).div_ceil(bs);
        let c = (blocks * 4).div_ceil(bs);
        for (dev, logical) in &members[&n(&sg["group_id"])] {
            let image = std::fs::read(dev).unwrap();
            let seg = (*logical + n(&sg["logical_sector"]) * 512) as usize;
            let fat = &image[seg..seg + blocks * 8];
            let csum = seg + 2 * f * bs;
            for i in 0..blocks {
                if fat[i * 8..i * 8 + 8].iter().all(|&b| b == 0) || (2 * f..2 * f + c).contains(&i)
                {
                    continue;
                }
                let block = &image[seg + i * bs..seg + (i + 1) * bs];
                let entry = le32(&image, csum + 4 * i);
                if entry == 0 {
                    assert!(
                        block.iter().all(|&b| b == 0),
                        "{}: {vol} segment block {i}: written but no checksum recorded",
                        dev.display()
                    );
                    found.unrecorded += 1;
                } else {
                    assert_eq!(
                        entry,
                        crc32fast::hash(block),
                        "{}: {vol} segment block {i}: entry is not the block's CRC32",
                        dev.display()
                    );
                    found.checked += 1;
                }
            }
        }
    }
    found
}

/// Puts `data` as `path`.
fn put(imgs: &[PathBuf], path: &str, data: &[u8]) {
    let o = nw_stdin(imgs, &["put", "-", path], data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn file_commands_keep_checksums_at_every_block_size() {
    let dir = tempfile::tempdir().unwrap();
    for bs in ["4K", "8K", "16K", "32K", "64K"] {
        let imgs = format(
            &dir,
            &[&format!("bs{bs}.img")],
            "32M",
            &["--block-size", bs],
        );
        let empty = check_raw(&imgs, "SYS");
        // FAT head, its copy, the directory and its copy are recorded.
        assert!(empty.checked >= 4, "{bs}: {empty:?}");
        let bsz = n(&df(&imgs, "SYS")["block_size"]) as usize;
        put(&imgs, "SYS:/A.BIN", &bytes(1, 3 * bsz + 17));
        put(&imgs, "SYS:/B.BIN", &bytes(2, 100));
        nw_ok(&imgs, &["mkdir", "SYS:/DIR"]);
        put(&imgs, "SYS:/DIR/C.BIN", &bytes(3, 2 * bsz));
        let after = check_raw(&imgs, "SYS");
        assert!(
            after.checked >= empty.checked + 4 + 1 + 2,
            "{bs}: {after:?} after {empty:?}"
        );
        // Overwrite (a new chain), rename, delete, purge.
        put(&imgs, "SYS:/A.BIN", &bytes(4, bsz / 2));
        nw_ok(&imgs, &["mv", "SYS:/B.BIN", "SYS:/DIR/Long name b.bin"]);
        nw_ok(&imgs, &["rm", "SYS:/DIR/C.BIN"]);
        nw_ok(&imgs, &["purge", "SYS:/DIR"]);
        check_raw(&imgs, "SYS");
        assert!(nw(&imgs, &["cat", "SYS:/A.BIN"]).stdout == bytes(4, bsz / 2));
        copies_equal(&imgs);
    }
}

#[test]
fn spanning_mirrored_created_and_extended_volumes_keep_checksums() {
    let dir = tempfile::tempdir().unwrap();
    // Two devices, no --mirror: SYS spans two groups.
    let span = format(&dir, &["s0.img", "s1.img"], "24M", &["--block-size", "4K"]);
    let first = n(&df(&span, "SYS")["size_bytes"]) as usize / 2;
    put(&span, "SYS:/SPAN.BIN", &bytes(5, first + (1 << 20)));
    let f = check_raw(&span, "SYS");
    assert!(f.checked > (first as u64 + (1 << 20)) / 4096, "{f:?}");

    // A 2-way mirror: both members hold the same, correct entries.
    let mirror = format(&dir, &["m0.img", "m1.img"], "32M", &["--mirror"]);
    put(&mirror, "SYS:/M.BIN", &bytes(6, 3 << 20));
    let f = check_raw(&mirror, "SYS");
    let one = check_raw(&mirror[..1], "SYS");
    assert_eq!(f.checked, 2 * one.checked, "both members checked");
    // A third member added by remirror gets the checksum fragments too
    // (they are allocated in the FAT).
    let new = crate::support::img(&dir, "m2.img");
    crate::support::sparse(&new, 40 << 20);
    let mut add: Vec<String> = vec!["mirror".into(), "add".into()];
    for i in &mirror {
        add.extend(["-d".to_string(), i.display().to_string()]);
    }
    add.push(new.display().to_string());
    crate::support::ok(&add.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let three = [mirror[0].clone(), mirror[1].clone(), new];
    let f3 = check_raw(&three, "SYS");
    assert_eq!(f3.checked, 3 * one.checked, "all three members checked");

    // Volume create (with and without checksums) and extend.
    let d0 = format(
        &dir,
        &["v0.img"],
        "64M",
        &["--volume", "SYS:16M", "--block-size", "4K"],
    );
    let d1 = format(
        &dir,
        &["v1.img"],
        "32M",
        &["--volume", "TMP:8M", "--block-size", "4K"],
    );
    nw_ok(&d0, &["volume", "create", "VOL1:16M"]);
    nw_ok(&d0, &["volume", "create", "--no-checksums", "PLAIN:8M"]);
    put(&d0, "VOL1:/V.BIN", &bytes(7, 200_000));
    put(&d0, "PLAIN:/P.BIN", &bytes(8, 200_000));
    check_raw(&d0, "VOL1");
    // Rename carries the record along.
    nw_ok(&d0, &["volume", "rename", "VOL1", "DATA"]);
    put(&d0, "DATA:/W.BIN", &bytes(11, 70_000));
    check_raw(&d0, "DATA");
    let imgs = vec![d0[0].clone(), d1[0].clone()];
    let plain = inspect(&[&d0[0]])["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "PLAIN")
        .cloned()
        .unwrap();
    assert_eq!(plain["checksums"], false);
    assert!(nw(&d0, &["cat", "PLAIN:/P.BIN"]).stdout == bytes(8, 200_000));
    let before = n(&df(&imgs, "SYS")["size_bytes"]) as usize;
    nw_ok(&imgs, &["volume", "extend", "SYS", d1[0].to_str().unwrap()]);
    put(&imgs, "SYS:/BIG.BIN", &bytes(9, before + (2 << 20)));
    let f = check_raw(&imgs, "SYS");
    assert!(f.checked as usize > (before + (2 << 20)) / 4096, "{f:?}");
    check_raw(&imgs, "TMP");
    copies_equal(&imgs);
}

#[test]
fn volumes_without_checksums_keep_the_netware_layout() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(
        &dir,
        &["plain.img"],
        "32M",
        &["--no-checksums", "--block-size", "4K"],
    );
    let j = inspect(&[&imgs[0]]);
    let v = &j["volumes"][0];
    assert_eq!(v["checksums"], false);
    // The volume table is the version-1 one: extension version 1, no
    // volume extension records, so older nwvol reads it.
    let table = n(&j["devices"][0]["volume_table_byte"]);
    let t = crate::support::peek(&imgs[0], table + 8200, 12);
    assert_eq!(le32(&t, 0), 1, "extension version");
    assert_eq!(le32(&t, 8), 0, "extension records");
    // The directory table right after the FAT copy, at 2F.
    let sys = system(&imgs);
    let vol = sys.volume("SYS").unwrap();
    let f = nwvol::layout::fat::fat_blocks(vol.total_blocks, 4096);
    assert_eq!((vol.dir_block, vol.dir_copy_block), (2 * f, 2 * f + 1));
    assert!(!vol.has_checksums() && vol.checksum_entry(100).is_none());
    drop(sys);
    put(&imgs, "SYS:/X.BIN", &bytes(10, 50_000));
    assert!(nw(&imgs, &["cat", "SYS:/X.BIN"]).stdout == bytes(10, 50_000));
    let t2 = crate::support::peek(&imgs[0], table + 8200, 12);
    assert_eq!(t, t2, "writing files leaves the table as it was");
    // A formatted volume with checksums writes version 2 and one record.
    let with = format(&dir, &["with.img"], "32M", &[]);
    let table = n(&inspect(&[&with[0]])["devices"][0]["volume_table_byte"]);
    let t = crate::support::peek(&with[0], table + 8200, 12);
    assert_eq!((le32(&t, 0), le32(&t, 8)), (2, 1));
    let rec = crate::support::peek(&with[0], table + 8224, 64);
    assert_eq!(&rec[..4], b"\x03SYS");
    assert_eq!(le32(&rec, 20), 1 | (1 << 16), "kind 1, record version 1");
    assert_eq!(le32(&rec, 28), 1, "CRC32");
}
