//! Builds the logical partitions of empty volumes in memory exactly as
//! FORMAT.md "Geometry chosen by format" describes, using only the layout
//! encoders, then reads them back the way a reader would: volume table,
//! cross-segment checks, FAT chains and the directory table.

use nwvol::layout::checksum::checksum_blocks;
use nwvol::layout::dirent::{DIRENT_BYTES, DirEntry, PARENT_FREE, VolumeInfo};
use nwvol::layout::fat::{FAT_ENTRY_BYTES, FatEntry, fat_blocks};
use nwvol::layout::time::DosTime;
use nwvol::layout::voltab::{
    SegmentEntry, VOLTAB_COPIES, VOLTAB_COPY_BYTES, VOLTAB_SECTORS, VolumeRecord, VolumeTable,
    block_code_for, check_volume_segments,
};

const SECTOR: usize = 512;

/// One logical partition in memory.
struct Logical {
    bytes: Vec<u8>,
}

impl Logical {
    fn new(data_sectors: u32) -> Logical {
        Logical {
            bytes: vec![0; data_sectors as usize * SECTOR],
        }
    }

    fn data_sectors(&self) -> u32 {
        (self.bytes.len() / SECTOR) as u32
    }

    fn write_table(&mut self, t: &VolumeTable) {
        let b = t.encode();
        for c in 0..VOLTAB_COPIES {
            self.bytes[c * VOLTAB_COPY_BYTES..(c + 1) * VOLTAB_COPY_BYTES].copy_from_slice(&b);
        }
    }

    fn block_offset(seg: &SegmentEntry, block: u32) -> usize {
        assert!(seg.holds_block(block));
        seg.logical_first_sector() as usize * SECTOR
            + (block - seg.first_block) as usize * seg.block_size() as usize
    }

    /// Byte of the FAT entry of `block` in this segment's fragment.
    fn fat_offset(seg: &SegmentEntry, block: u32) -> usize {
        seg.logical_first_sector() as usize * SECTOR
            + (block - seg.first_block) as usize * FAT_ENTRY_BYTES
    }

    fn put_fat(&mut self, seg: &SegmentEntry, block: u32, e: FatEntry) {
        let o = Self::fat_offset(seg, block);
        self.bytes[o..o + FAT_ENTRY_BYTES].copy_from_slice(&e.encode());
    }

    fn fat(&self, seg: &SegmentEntry, block: u32) -> FatEntry {
        let o = Self::fat_offset(seg, block);
        FatEntry::decode(&self.bytes[o..o + FAT_ENTRY_BYTES], seg.total_blocks)
            .map_err(|e| e.in_structure(format!("FAT entry of block {block}")))
            .unwrap()
    }
}

/// Writes a chain of consecutive blocks `first..first + n`.
fn put_chain(parts: &mut [Logical], segs: &[SegmentEntry], first: u32, n: u32) {
    for i in 0..n {
        let b = first + i;
        let next = (i + 1 < n).then_some(b + 1);
        let (p, seg) = locate(segs, b);
        parts[p].put_fat(seg, b, FatEntry::Used { seq: i, next });
    }
}

/// The partition index and segment holding a volume block.
fn locate(segs: &[SegmentEntry], block: u32) -> (usize, &SegmentEntry) {
    let i = segs.iter().position(|s| s.holds_block(block)).unwrap();
    (i, &segs[i])
}

/// Follows a chain from `first`, checking sequence numbers.
fn chain(parts: &[Logical], segs: &[SegmentEntry], first: u32) -> Vec<u32> {
    let mut out = vec![first];
    let mut b = first;
    loop {
        let (p, seg) = locate(segs, b);
        match parts[p].fat(seg, b) {
            FatEntry::Used { seq, next } => {
                assert_eq!(seq as usize, out.len() - 1, "block {b}");
                match next {
                    Some(n) => {
                        out.push(n);
                        b = n;
                    }
                    None => return out,
                }
            }
            FatEntry::Free => panic!("block {b} in a chain is free"),
        }
    }
}

/// Blocks of a segment's checksum fragment, 0 without checksums.
fn csum_blocks(seg: &SegmentEntry, checksums: bool) -> u32 {
    if checksums {
        checksum_blocks(seg.blocks(), seg.block_size())
    } else {
        0
    }
}

/// Byte of block `block`'s checksum entry in its segment's fragment.
fn csum_offset(seg: &SegmentEntry, block: u32) -> usize {
    let f = fat_blocks(seg.blocks(), seg.block_size());
    Logical::block_offset(seg, seg.first_block + 2 * f) + (block - seg.first_block) as usize * 4
}

/// Formats volume `name` over the given logical partitions (one segment in
/// each, filling it), as `format` does; with `checksums`, with a checksum
/// fragment per segment and the entries of the FAT and directory blocks.
fn format(
    parts: &mut [Logical],
    name: &str,
    block_size: u32,
    created: DosTime,
    checksums: bool,
) -> Vec<SegmentEntry> {
    let code = block_code_for(block_size).unwrap();
    let spb = block_size / 512;
    let seg_blocks: Vec<u32> = parts
        .iter()
        .map(|p| (p.data_sectors() - VOLTAB_SECTORS) / spb)
        .collect();
    let total: u32 = seg_blocks.iter().sum();
    let f0 = fat_blocks(seg_blocks[0], block_size);
    let c0 = if checksums {
        checksum_blocks(seg_blocks[0], block_size)
    } else {
        0
    };
    let mut first_block = 0;
    let mut segs = Vec::new();
    for (i, &blocks) in seg_blocks.iter().enumerate() {
        segs.push(SegmentEntry {
            name: name.into(),
            segment: i as u16,
            first_sector: 32 + VOLTAB_SECTORS,
            sectors: blocks * spb,
            total_blocks: total,
            first_block,
            block_code: code,
            dir_block: 2 * f0 + c0,
            dir_copy_block: 2 * f0 + c0 + 1,
        });
        first_block += blocks;
    }
    for (p, seg) in parts.iter_mut().zip(&segs) {
        p.write_table(&VolumeTable {
            entries: vec![seg.clone()],
            nwvol: true,
            records: if checksums {
                vec![VolumeRecord::checksums(name)]
            } else {
                vec![]
            },
        });
    }
    // Each segment's FAT fragment and its copy (and checksum fragment), as
    // chains.
    for seg in &segs {
        let f = fat_blocks(seg.blocks(), block_size);
        put_chain(parts, &segs, seg.first_block, f);
        put_chain(parts, &segs, seg.first_block + f, f);
        let c = csum_blocks(seg, checksums);
        if c > 0 {
            put_chain(parts, &segs, seg.first_block + 2 * f, c);
        }
    }
    // Directory and copy: one block each, in segment 0.
    put_chain(parts, &segs, 2 * f0 + c0, 1);
    put_chain(parts, &segs, 2 * f0 + c0 + 1, 1);
    let mut dir = vec![0u8; block_size as usize];
    for (i, e) in dir.chunks_exact_mut(DIRENT_BYTES).enumerate() {
        let entry = if i == 0 {
            DirEntry::VolumeInfo(VolumeInfo {
                created,
                modified: created,
                ..VolumeInfo::default()
            })
        } else {
            DirEntry::Free
        };
        e.copy_from_slice(&entry.encode());
    }
    for b in [2 * f0 + c0, 2 * f0 + c0 + 1] {
        let (p, seg) = locate(&segs, b);
        let o = Logical::block_offset(seg, b);
        parts[p].bytes[o..o + dir.len()].copy_from_slice(&dir);
    }
    // The entries of every block written that is not all zero (the FAT
    // blocks holding chains, the directory blocks).
    if checksums {
        for b in 0..total {
            let (p, seg) = locate(&segs, b);
            let f = fat_blocks(seg.blocks(), block_size);
            let rel = b - seg.first_block;
            if (2 * f..2 * f + csum_blocks(seg, true)).contains(&rel) {
                continue;
            }
            let o = Logical::block_offset(seg, b);
            let block = &parts[p].bytes[o..o + block_size as usize];
            if block.iter().any(|&x| x != 0) {
                let crc = crc32fast::hash(block);
                let at = csum_offset(seg, b);
                parts[p].bytes[at..at + 4].copy_from_slice(&crc.to_le_bytes());
            }
        }
    }
    segs
}

/// Reads the volume back from the partitions alone and checks it.
fn read_back(parts: &[Logical], name: &str, created: DosTime) {
    let mut segs = Vec::new();
    let mut with_record = 0;
    for p in parts {
        let copies: Vec<VolumeTable> = (0..VOLTAB_COPIES)
            .map(|c| VolumeTable::decode(&p.bytes[c * VOLTAB_COPY_BYTES..]).unwrap())
            .collect();
        assert!(copies.iter().all(|t| *t == copies[0] && t.nwvol));
        copies[0].validate(p.data_sectors()).unwrap();
        segs.extend(copies[0].entries.iter().filter(|e| e.name == name).cloned());
        if copies[0].has_checksums(name) {
            with_record += 1;
        }
    }
    // Every table holding a segment has the checksum record, or none.
    assert!(with_record == 0 || with_record == parts.len());
    let checksums = with_record > 0;
    let refs: Vec<&SegmentEntry> = segs.iter().collect();
    check_volume_segments(&refs).unwrap();
    let bs = segs[0].block_size();
    let f0 = fat_blocks(segs[0].blocks(), bs);
    let c0 = csum_blocks(&segs[0], checksums);
    // The FAT fragments and copies (and checksum fragments) are chains;
    // everything else but the directory blocks is free.
    let mut used = 0u64;
    for seg in &segs {
        let f = fat_blocks(seg.blocks(), bs);
        assert_eq!(chain(parts, &segs, seg.first_block).len(), f as usize);
        assert_eq!(chain(parts, &segs, seg.first_block + f).len(), f as usize);
        used += 2 * u64::from(f);
        let c = csum_blocks(seg, checksums);
        if c > 0 {
            let first = seg.first_block + 2 * f;
            assert_eq!(chain(parts, &segs, first).len(), c as usize);
            used += u64::from(c);
        }
    }
    for dir in [segs[0].dir_block, segs[0].dir_copy_block] {
        assert_eq!(chain(parts, &segs, dir), vec![dir]);
        assert!(dir >= 2 * f0 + c0);
        used += 1;
    }
    // Every block written (the FAT heads, the directory blocks) has its
    // CRC32 as entry; the checksum fragments and untouched blocks 0.
    if checksums {
        for b in 0..segs[0].total_blocks {
            let (p, seg) = locate(&segs, b);
            let at = csum_offset(seg, b);
            let entry = u32::from_le_bytes(parts[p].bytes[at..at + 4].try_into().unwrap());
            let o = Logical::block_offset(seg, b);
            let block = &parts[p].bytes[o..o + bs as usize];
            let f = fat_blocks(seg.blocks(), bs);
            let rel = b - seg.first_block;
            let is_csum = (2 * f..2 * f + csum_blocks(seg, true)).contains(&rel);
            if is_csum {
                assert_eq!(entry, 0, "checksum block {b} has no entry");
            } else if block.iter().any(|&x| x != 0) {
                assert_eq!(entry, crc32fast::hash(block), "block {b}");
            } else {
                assert_eq!(entry, 0, "block {b} was not written");
            }
        }
    }
    let mut in_use = 0u64;
    for b in 0..segs[0].total_blocks {
        let (p, seg) = locate(&segs, b);
        if !parts[p].fat(seg, b).is_free() {
            in_use += 1;
        }
    }
    assert_eq!(in_use, used);
    // The directory: the volume information entry, then free entries, in
    // both copies.
    for dir in [segs[0].dir_block, segs[0].dir_copy_block] {
        let (p, seg) = locate(&segs, dir);
        let o = Logical::block_offset(seg, dir);
        let block = &parts[p].bytes[o..o + bs as usize];
        for (i, raw) in block.chunks_exact(DIRENT_BYTES).enumerate() {
            let e = DirEntry::decode(raw).unwrap();
            if i == 0 {
                let DirEntry::VolumeInfo(v) = e else {
                    panic!("entry 0 is {e:?}")
                };
                assert_eq!(v.created, created);
            } else {
                assert_eq!(e, DirEntry::Free);
                assert_eq!(&raw[..4], &PARENT_FREE.to_le_bytes());
                assert!(raw[4..].iter().all(|&b| b == 0));
            }
        }
    }
}

#[test]
fn one_segment_volume() {
    let created = DosTime::from_parts(2024, 5, 17, 10, 30, 0).unwrap();
    for bs in [4096, 16384, 65536] {
        for checksums in [true, false] {
            let mut parts = vec![Logical::new(VOLTAB_SECTORS + 8 * 1024)];
            let segs = format(&mut parts, "SYS", bs, created, checksums);
            assert_eq!(segs[0].first_sector, 160);
            let f = fat_blocks(segs[0].blocks(), bs);
            let c = if checksums { 1 } else { 0 };
            assert_eq!(segs[0].dir_block, 2 * f + c);
            read_back(&parts, "SYS", created);
        }
    }
}

#[test]
fn volume_spanning_three_partitions() {
    let created = DosTime::from_parts(1999, 12, 31, 23, 59, 58).unwrap();
    let mut parts = vec![
        Logical::new(VOLTAB_SECTORS + 8 * 700),
        Logical::new(VOLTAB_SECTORS + 8 * 300 + 5),
        Logical::new(VOLTAB_SECTORS + 8 * 5000),
    ];
    let segs = format(&mut parts, "DATA", 4096, created, true);
    assert_eq!(segs[1].first_block, 700);
    assert_eq!(segs[2].first_block, 1000);
    assert_eq!(segs[0].total_blocks, 6000);
    read_back(&parts, "DATA", created);

    // Losing the last partition is noticed.
    let refs: Vec<&SegmentEntry> = segs[..2].iter().collect();
    let e = check_volume_segments(&refs).unwrap_err();
    assert_eq!(e.field(), "total blocks");
    // So is a middle one.
    let refs = [&segs[0], &segs[2]];
    assert_eq!(
        check_volume_segments(&refs).unwrap_err().field(),
        "segment number"
    );
}

#[test]
fn damaged_table_copy_is_detected() {
    let mut parts = vec![Logical::new(VOLTAB_SECTORS + 8 * 100)];
    format(&mut parts, "SYS", 4096, DosTime(0), true);
    // Copy 2, entry 0, total blocks (byte 32 + 32).
    let o = 2 * VOLTAB_COPY_BYTES + 32 + 32;
    parts[0].bytes[o] ^= 1;
    assert_eq!(
        VolumeTable::decode(&parts[0].bytes[2 * VOLTAB_COPY_BYTES..])
            .unwrap_err()
            .field(),
        "table CRC"
    );
    assert!(VolumeTable::decode(&parts[0].bytes[VOLTAB_COPY_BYTES..]).is_ok());
}
