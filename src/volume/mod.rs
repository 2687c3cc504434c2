//! Layer 6: named volumes made of segments on one or more logical
//! partitions: assembly from the volume tables, block I/O, the FAT and the
//! directory table.

pub mod checksum;
pub mod commit;
pub mod dirtable;
pub mod edit;
pub mod fat;
pub mod file;
pub mod index;
pub mod mkfs;
pub mod names;
pub mod open;
pub mod ops;
pub mod path;
pub mod plan;

pub use checksum::{ChecksumIo, block_crc, read_checksums, write_checksum};
pub use open::{OpenMode, OpenVolume};
pub use path::NwPath;

use std::collections::BTreeMap;

use crate::cache::BlockIo;
use crate::error::{CorruptKind, Error, Result};
use crate::layout::LayoutError;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry};
use crate::layout::fat::{FAT_ENTRY_BYTES, FatEntry};
use crate::layout::voltab::{
    SegmentEntry, VOLTAB_COPIES, VOLTAB_COPY_BYTES, VolumeTable, check_volume_segments,
};
use crate::mirror::MirrorGroup;
use crate::units::SECTOR;

/// One segment of a volume, located.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Index of the mirror group holding it.
    pub group: usize,
    /// Its volume table entry.
    pub entry: SegmentEntry,
}

impl Segment {
    /// Logical byte of the segment's first block.
    pub fn logical_start(&self) -> u64 {
        self.entry.logical_first_sector() as u64 * SECTOR as u64
    }

    /// Blocks held by the segment.
    pub fn blocks(&self) -> u32 {
        self.entry.blocks()
    }

    /// True when volume block `b` is in this segment.
    pub fn holds(&self, b: u32) -> bool {
        b >= self.entry.first_block && (b - self.entry.first_block) < self.blocks()
    }
}

/// A volume assembled from its segments.
#[derive(Debug, Clone)]
pub struct Volume {
    /// Upper-case name.
    pub name: String,
    /// Block size in bytes.
    pub block_size: u32,
    /// Total blocks.
    pub total_blocks: u32,
    /// First block of the directory table and of its copy.
    pub dir_block: u32,
    /// First block of the directory table's copy.
    pub dir_copy_block: u32,
    /// Segments found, in segment-number order.
    pub segments: Vec<Segment>,
    /// Segment numbers expected but not found (a group is missing).
    pub missing_segments: Vec<u16>,
    /// True when the volume keeps block checksums (a "block checksums"
    /// record in the volume tables holding its segments).
    pub checksums: bool,
}

/// What the volume tables of a group say.
#[derive(Debug, Clone)]
pub struct GroupTable {
    /// The table in use.
    pub table: VolumeTable,
    /// Status of each of the 4 copies: None good, Some(reason) otherwise.
    pub copies: Vec<Option<String>>,
}

/// Block size the volume tables are read and written with through the
/// cache: they belong to no volume, so no volume's block size applies.
pub const TABLE_IO_BLOCK: u32 = 4096;

/// Reads and reconciles the 4 copies of a group's volume table.
pub fn read_volume_table(group: &MirrorGroup) -> Result<GroupTable> {
    let mut raw = vec![0u8; VOLTAB_COPY_BYTES * VOLTAB_COPIES];
    group.read_logical(&mut raw, 0)?;
    let data_sectors = (group.logical_bytes / SECTOR as u64) as u32;
    let decoded: Vec<std::result::Result<VolumeTable, LayoutError>> = raw
        .chunks(VOLTAB_COPY_BYTES)
        .map(|c| {
            let t = VolumeTable::decode(c)?;
            t.validate(data_sectors)?;
            Ok(t)
        })
        .collect();
    let Some(best) = decoded.iter().position(|d| d.is_ok()) else {
        let e = decoded
            .into_iter()
            .next()
            .and_then(|r| r.err())
            .unwrap_or(LayoutError::Corrupt {
                structure: "volume table".into(),
                field: "copies",
                reason: "no copy".into(),
            });
        return Err(Error::Corrupt {
            device: group.name(),
            what: "volume definition table (all 4 copies)".into(),
            source: e,
        });
    };
    let best_raw = &raw[best * VOLTAB_COPY_BYTES..(best + 1) * VOLTAB_COPY_BYTES];
    let copies = decoded
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Err(e) => Some(format!("damaged: {e}")),
            Ok(_) if raw[i * VOLTAB_COPY_BYTES..(i + 1) * VOLTAB_COPY_BYTES] != *best_raw => {
                Some("stale: differs from the copy in use".into())
            }
            Ok(_) => None,
        })
        .collect();
    let table = decoded
        .into_iter()
        .nth(best)
        .and_then(|r| r.ok())
        .ok_or_else(|| Error::Internal("volume table vanished".into()))?;
    Ok(GroupTable { table, copies })
}

/// Assembles volumes from the groups' volume tables.
pub fn assemble_volumes(
    groups: &[std::sync::Arc<MirrorGroup>],
    tables: &[GroupTable],
) -> Result<Vec<Volume>> {
    let mut by_name: BTreeMap<String, Vec<Segment>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (g, t) in tables.iter().enumerate() {
        for e in &t.table.entries {
            if !by_name.contains_key(&e.name) {
                order.push(e.name.clone());
            }
            by_name.entry(e.name.clone()).or_default().push(Segment {
                group: g,
                entry: e.clone(),
            });
        }
    }
    let mut volumes = Vec::new();
    for name in order {
        let mut segs = by_name.remove(&name).unwrap_or_default();
        segs.sort_by_key(|s| s.entry.segment);
        let first = &segs[0].entry;
        let total_blocks = first.total_blocks;
        let held: u64 = segs.iter().map(|s| s.blocks() as u64).sum();
        let mut missing_segments = Vec::new();
        if held < total_blocks as u64 || segs[0].entry.segment != 0 {
            // Find which segment numbers are absent.
            let max = segs.iter().map(|s| s.entry.segment).max().unwrap_or(0);
            for n in 0..=max {
                if !segs.iter().any(|s| s.entry.segment == n) {
                    missing_segments.push(n);
                }
            }
            if missing_segments.is_empty() {
                missing_segments.push(max + 1);
            }
        } else {
            let refs: Vec<&SegmentEntry> = segs.iter().map(|s| &s.entry).collect();
            check_volume_segments(&refs).map_err(|e| Error::Corrupt {
                device: groups[segs[0].group].name(),
                what: format!("volume {name}"),
                source: e,
            })?;
        }
        let checksums = volume_checksums(groups, tables, &name, &segs)?;
        volumes.push(Volume {
            name,
            block_size: first.block_size(),
            total_blocks,
            dir_block: first.dir_block,
            dir_copy_block: first.dir_copy_block,
            segments: segs,
            missing_segments,
            checksums,
        });
    }
    Ok(volumes)
}

/// Whether volume `name` keeps block checksums: every table holding one of
/// its segments has the record, or none does (anything else is damage);
/// with them, every segment must hold its FAT fragments and checksum
/// fragment.
fn volume_checksums(
    groups: &[std::sync::Arc<MirrorGroup>],
    tables: &[GroupTable],
    name: &str,
    segs: &[Segment],
) -> Result<bool> {
    let with = segs
        .iter()
        .filter(|s| tables[s.group].table.has_checksums(name))
        .count();
    let corrupt = |s: &Segment, field, reason: String| Error::Corrupt {
        device: groups[s.group].name(),
        what: format!("volume {name}"),
        source: LayoutError::Corrupt {
            structure: format!("volume {name} segment {}", s.entry.segment),
            field,
            reason,
        },
    };
    if with == 0 {
        return Ok(false);
    }
    if let Some(s) = segs
        .iter()
        .find(|s| !tables[s.group].table.has_checksums(name))
    {
        return Err(corrupt(
            s,
            "checksum record",
            "missing from this segment's volume table, present in another's".into(),
        ));
    }
    for s in segs {
        let bs = s.entry.block_size();
        let need = 2 * crate::layout::fat::fat_blocks(s.blocks(), bs)
            + crate::layout::checksum::checksum_blocks(s.blocks(), bs);
        if need >= s.blocks() {
            return Err(corrupt(
                s,
                "size",
                format!(
                    "{} blocks, too few for its FAT and checksum fragments ({need})",
                    s.blocks()
                ),
            ));
        }
    }
    Ok(true)
}

/// Block usage and entry counts of a volume.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VolumeStats {
    /// Blocks in use (FAT entries not free).
    pub used_blocks: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Live files.
    pub files: u64,
    /// Directories (not counting the root).
    pub directories: u64,
    /// Deleted, salvageable files.
    pub deleted_files: u64,
    /// Entries in the directory table (used or free).
    pub dir_entries: u64,
}

impl Volume {
    /// True when every segment is present.
    pub fn complete(&self) -> bool {
        self.missing_segments.is_empty()
    }

    /// The segment holding `block`.
    pub fn segment_of(&self, block: u32) -> Result<&Segment> {
        self.segments
            .iter()
            .find(|s| s.holds(block))
            .ok_or_else(|| {
                Error::Damaged(CorruptKind::BlockOutside {
                    volume: self.name.clone(),
                    block,
                    total: self.total_blocks,
                })
            })
    }

    /// True when the volume keeps block checksums.
    pub fn has_checksums(&self) -> bool {
        self.checksums
    }

    /// Segment-relative blocks `[start, end)` of the checksum fragment of
    /// segment `s` (empty without checksums).
    pub fn checksum_fragment(&self, s: &Segment) -> (u32, u32) {
        if !self.checksums {
            return (0, 0);
        }
        let f = crate::layout::fat::fat_blocks(s.blocks(), self.block_size);
        let c = crate::layout::checksum::checksum_blocks(s.blocks(), self.block_size);
        (2 * f, 2 * f + c)
    }

    /// Where block `b`'s checksum entry lives: (group index, logical byte
    /// offset of the 4-byte entry); None when the volume keeps none, `b`
    /// is a checksum-fragment block, or `b` is in no segment present.
    pub fn checksum_entry(&self, b: u32) -> Option<(usize, u64)> {
        if !self.checksums {
            return None;
        }
        let s = self.segment_of(b).ok()?;
        let (c0, c1) = self.checksum_fragment(s);
        let rel = b - s.entry.first_block;
        if (c0..c1).contains(&rel) {
            return None;
        }
        let at = s.logical_start()
            + u64::from(c0) * u64::from(self.block_size)
            + u64::from(rel) * u64::from(crate::layout::voltab::CHECKSUM_ENTRY_BYTES);
        Some((s.group, at))
    }

    /// True when `b` is a block of a checksum fragment.
    pub fn is_checksum_block(&self, b: u32) -> bool {
        let Ok(s) = self.segment_of(b) else {
            return false;
        };
        let (c0, c1) = self.checksum_fragment(s);
        (c0..c1).contains(&(b - s.entry.first_block))
    }

    /// Where block `block` lives: (group index, logical byte).
    pub fn block_location(&self, block: u32) -> Result<(usize, u64)> {
        let s = self.segment_of(block)?;
        let off = s.logical_start() + (block - s.entry.first_block) as u64 * self.block_size as u64;
        Ok((s.group, off))
    }

    /// Where the FAT entry of `block` lives: (group index, logical byte of
    /// the entry in the primary fragment, logical byte in its copy).
    pub fn fat_location(&self, block: u32) -> Result<(usize, u64, u64)> {
        let s = self.segment_of(block)?;
        let primary =
            s.logical_start() + (block - s.entry.first_block) as u64 * FAT_ENTRY_BYTES as u64;
        let f = crate::layout::fat::fat_blocks(s.blocks(), self.block_size) as u64;
        Ok((s.group, primary, primary + f * self.block_size as u64))
    }

    /// How many of `blocks` from the first are consecutive block numbers in
    /// one segment (so one contiguous run of the logical partition).
    pub fn run_len(&self, blocks: &[u32]) -> usize {
        let Some(&first) = blocks.first() else {
            return 0;
        };
        let Ok(s) = self.segment_of(first) else {
            return 1;
        };
        let mut n = 1;
        while n < blocks.len() && blocks[n] == first.wrapping_add(n as u32) && s.holds(blocks[n]) {
            n += 1;
        }
        n
    }

    /// True when every segment's group accepts writes (nwvol partitions)
    /// and the block size is one nwvol writes.
    pub fn writable(&self, io: &dyn BlockIo) -> Result<()> {
        self.check_complete()?;
        for s in &self.segments {
            if !crate::layout::voltab::block_code_writable(s.entry.block_code) {
                return Err(Error::ReadOnlyBlockSize {
                    volume: self.name.clone(),
                    block_size: self.block_size,
                });
            }
            let g = &io.groups()[s.group];
            if !g.writable() {
                return Err(Error::PlainNetWare { device: g.name() });
            }
        }
        Ok(())
    }

    /// Fails with [`Error::VolumeIncomplete`] when a segment is missing.
    pub fn check_complete(&self) -> Result<()> {
        if self.complete() {
            Ok(())
        } else {
            Err(Error::VolumeIncomplete {
                volume: self.name.clone(),
                missing: self.missing_segments.clone(),
            })
        }
    }

    /// Reads one whole block.
    pub fn read_block(&self, io: &dyn BlockIo, block: u32, buf: &mut [u8]) -> Result<()> {
        let s = self.segment_of(block)?;
        let off = s.logical_start() + (block - s.entry.first_block) as u64 * self.block_size as u64;
        io.read(
            s.group,
            self.block_size,
            off,
            &mut buf[..self.block_size as usize],
        )
    }

    /// Reads the FAT entry of a block (from the primary FAT): the same
    /// reader as [`Fat::entry`](fat::Fat::entry).
    pub fn fat_entry(&self, io: &dyn BlockIo, block: u32) -> Result<FatEntry> {
        fat::Fat::entry(self, io, block)
    }

    /// Reads every entry of the directory table.
    pub fn dir_entries(&self, io: &dyn BlockIo) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; self.block_size as usize];
        for b in fat::Fat::chain(self, io, self.dir_block, None)? {
            self.read_block(io, b, &mut buf)?;
            for raw in buf.chunks(DIRENT_BYTES) {
                let e = DirEntry::decode(raw).map_err(|e| Error::Corrupt {
                    device: io.groups()[self.segment_of(b).map(|s| s.group).unwrap_or(0)].name(),
                    // The entry's index in the table: entries before it.
                    what: format!("volume {} directory entry {}", self.name, out.len()),
                    source: e,
                })?;
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Counts used and free blocks by scanning the FAT, and entries by
    /// reading the directory table.
    pub fn stats(&self, io: &dyn BlockIo) -> Result<VolumeStats> {
        let mut st = VolumeStats::default();
        const CHUNK: usize = 4 << 20;
        let mut buf = vec![0u8; CHUNK];
        for s in &self.segments {
            let mut left = s.blocks() as u64 * FAT_ENTRY_BYTES as u64;
            let mut off = s.logical_start();
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                io.read(s.group, self.block_size, off, &mut buf[..n])?;
                st.used_blocks += buf[..n]
                    .chunks_exact(FAT_ENTRY_BYTES)
                    .filter(|e| e.iter().any(|&b| b != 0))
                    .count() as u64;
                off += n as u64;
                left -= n as u64;
            }
        }
        st.free_blocks = (self.total_blocks as u64).saturating_sub(st.used_blocks);
        for e in self.dir_entries(io)? {
            st.dir_entries += 1;
            match e {
                DirEntry::File(f) if f.deleted.0 != 0 => st.deleted_files += 1,
                DirEntry::File(_) => st.files += 1,
                DirEntry::Directory(_) => st.directories += 1,
                _ => {}
            }
        }
        Ok(st)
    }
}
