//! The block-checksum API that verify uses (Volume::checksum_entry,
//! read_checksums, write_checksum), the I/O path learning a volume created
//! while open, and volume tables that disagree about checksums.

use crate::support::files::*;
use nwvol::layout::checksum::checksum_blocks;
use nwvol::layout::fat::{FatEntry, fat_blocks};
use nwvol::layout::voltab::{VOLTAB_COPIES, VOLTAB_COPY_BYTES, VolumeTable};
use nwvol::volume::fat::Fat;
use nwvol::volume::{
    assemble_volumes, block_crc, read_checksums, read_volume_table, write_checksum,
};

/// Assembles the images read-write through the library.
fn system_rw(imgs: &[std::path::PathBuf]) -> nwvol::assembly::Assembly {
    use nwvol::device::Device;
    use nwvol::device::file::{FileDevice, OpenOptions};
    let devs: Vec<std::sync::Arc<dyn Device>> = imgs
        .iter()
        .map(|p| {
            std::sync::Arc::new(FileDevice::open(p, &OpenOptions::read_write()).unwrap())
                as std::sync::Arc<dyn Device>
        })
        .collect();
    nwvol::assembly::Assembly::open(devs).unwrap()
}

fn put(imgs: &[std::path::PathBuf], path: &str, data: &[u8]) {
    let o = nw_stdin(imgs, &["put", "-", path], data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn entries_are_read_located_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["api.img"], "32M", &["--block-size", "4K"]);
    put(&imgs, "SYS:/F.BIN", &bytes(1, 40_000));
    let sys = system_rw(&imgs);
    let io = sys.io.as_ref();
    let vol = sys.volume("SYS").unwrap().clone();
    assert!(vol.has_checksums());
    let total = vol.total_blocks;
    let (f, c) = (fat_blocks(total, 4096), checksum_blocks(total, 4096));
    // The fragment sits after the FAT copy; the directory after it.
    for b in 2 * f..2 * f + c {
        assert!(vol.is_checksum_block(b) && vol.checksum_entry(b).is_none());
    }
    assert!(!vol.is_checksum_block(2 * f - 1) && !vol.is_checksum_block(2 * f + c));
    assert_eq!(vol.dir_block, 2 * f + c);
    assert_eq!(
        Fat::chain(&vol, io, 2 * f, None).unwrap(),
        (2 * f..2 * f + c).collect::<Vec<_>>(),
        "the fragment is a FAT chain"
    );
    // Every allocated block's entry is its CRC (or 0: never written).
    let crcs = read_checksums(&vol, io, 0, total).unwrap();
    let mut buf = vec![0u8; 4096];
    let mut checked = 0;
    for b in 0..total {
        if vol.fat_entry(io, b).unwrap() == FatEntry::Free || crcs[b as usize] == 0 {
            continue;
        }
        vol.read_block(io, b, &mut buf).unwrap();
        assert_eq!(crcs[b as usize], block_crc(&buf), "block {b}");
        checked += 1;
    }
    // FAT head and copy, directory and copy, 10 file blocks.
    assert!(checked >= 4 + 10, "{checked}");
    // A range read equals the whole read's part, across the fragment.
    assert_eq!(
        read_checksums(&vol, io, 2 * f - 1, c + 3).unwrap(),
        crcs[(2 * f - 1) as usize..(2 * f + c + 2) as usize]
    );
    // write_checksum puts the entry where checksum_entry says, in the
    // image once synced.
    let b = vol.dir_block + 5;
    write_checksum(&vol, io, b, 0x1234_5678).unwrap();
    io.sync().unwrap();
    assert_eq!(read_checksums(&vol, io, b, 1).unwrap(), [0x1234_5678]);
    let (g, at) = vol.checksum_entry(b).unwrap();
    assert_eq!(g, 0);
    let j = crate::support::inspect(&[&imgs[0]]);
    let logical = j["groups"][0]["members"][0]["logical_start_byte"]
        .as_u64()
        .unwrap();
    assert_eq!(
        crate::support::peek(&imgs[0], logical + at, 4),
        0x1234_5678u32.to_le_bytes()
    );
    // Refused: past the end, a checksum block, a volume without checksums.
    assert!(read_checksums(&vol, io, total - 1, 2).is_err());
    let e = write_checksum(&vol, io, 2 * f, 1).unwrap_err();
    assert!(e.to_string().contains("no checksum entry"), "{e}");
    let plain = nwvol::volume::Volume {
        checksums: false,
        ..vol.clone()
    };
    assert!(!plain.has_checksums() && plain.checksum_entry(b).is_none());
    let e = read_checksums(&plain, io, 0, 1).unwrap_err();
    assert!(e.to_string().contains("keeps no block checksums"), "{e}");
}

#[test]
fn a_volume_created_while_open_gets_its_checksums_kept() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(
        &dir,
        &["open.img"],
        "64M",
        &["--volume", "SYS:16M", "--block-size", "4K"],
    );
    let sys = system_rw(&imgs);
    nwvol::assembly::admin::create_volume(&sys, "VOL1", Some(8 << 20), &[0], Some(4096), true)
        .unwrap();
    let tables: Vec<_> = sys
        .groups
        .iter()
        .map(|g| read_volume_table(g).unwrap())
        .collect();
    let vols = assemble_volumes(&sys.groups, &tables).unwrap();
    let v1 = vols.iter().find(|v| v.name == "VOL1").unwrap();
    assert!(v1.has_checksums());
    // A write through the system's I/O path to the new volume (which the
    // system did not know when it opened) gets its entry.
    let b = v1.total_blocks - 1;
    let data = bytes(3, 4096);
    let (g, off) = v1.block_location(b).unwrap();
    sys.io.write(g, 4096, off, &data).unwrap();
    sys.io.sync().unwrap();
    assert_eq!(
        read_checksums(v1, sys.io.as_ref(), b, 1).unwrap(),
        [block_crc(&data)]
    );
}

#[test]
fn tables_that_disagree_about_checksums_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    // SYS spans two groups; take the record out of the second's table.
    let imgs = format(&dir, &["t0.img", "t1.img"], "24M", &["--block-size", "4K"]);
    let j = crate::support::inspect(&[&imgs[0], &imgs[1]]);
    let at = j["devices"][1]["volume_table_byte"].as_u64().unwrap();
    let raw = crate::support::peek(&imgs[1], at, VOLTAB_COPY_BYTES);
    let mut t = VolumeTable::decode(&raw).unwrap();
    assert_eq!(t.records.len(), 1);
    t.records.clear();
    let copy = t.encode();
    for c in 0..VOLTAB_COPIES {
        crate::support::poke(&imgs[1], at + (c * VOLTAB_COPY_BYTES) as u64, &copy);
    }
    nw_fails(&imgs, &["ls", "SYS:/"], 1, &["SYS", "checksum record"]);
}
