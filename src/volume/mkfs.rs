//! Writing empty volumes: the volume tables of each logical partition, and
//! per volume its FAT fragments (with copies), checksum fragments and an
//! empty directory table (with its copy).

use std::io::IoSlice;

use crate::cache::BlockIo;
use crate::error::Result;
use crate::layout::checksum::block_crc;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, Trustee, VolumeInfo};
use crate::layout::fat::{FAT_ENTRY_BYTES, FatEntry};
use crate::layout::time::DosTime;
use crate::layout::voltab::{
    CHECKSUM_ENTRY_BYTES, SegmentEntry, VOLTAB_COPIES, VolumeRecord, VolumeTable, block_code_for,
};
use crate::mirror::MirrorGroup;
use crate::units::SECTOR;

use super::plan::{SegmentPlan, VolumePlan};

/// The volume table entries a plan gives each group.
pub fn segment_entries(plans: &[VolumePlan], groups: usize) -> Vec<Vec<SegmentEntry>> {
    let mut out = vec![Vec::new(); groups];
    for p in plans {
        for s in &p.segments {
            out[s.group].push(SegmentEntry {
                name: p.name.clone(),
                segment: s.number,
                first_sector: s.logical_sector + 32,
                sectors: s.blocks * (p.block_size / SECTOR as u32),
                total_blocks: p.total_blocks,
                first_block: s.first_block,
                block_code: block_code_for(p.block_size).unwrap_or(0),
                dir_block: p.dir_block,
                dir_copy_block: p.dir_copy_block,
            });
        }
    }
    out
}

/// The volume extension records a plan gives each group: a "block
/// checksums" record for each volume with checksums in the table of every
/// group holding one of its segments.
pub fn volume_records(plans: &[VolumePlan], groups: usize) -> Vec<Vec<VolumeRecord>> {
    let mut out: Vec<Vec<VolumeRecord>> = vec![Vec::new(); groups];
    for p in plans.iter().filter(|p| p.checksums) {
        for s in &p.segments {
            if !out[s.group].iter().any(|r| r.name == p.name) {
                out[s.group].push(VolumeRecord::checksums(&p.name));
            }
        }
    }
    out
}

/// Writes the 4 copies of each group's volume table.
pub fn write_volume_tables(groups: &[MirrorGroup], plans: &[VolumePlan]) -> Result<()> {
    let records = volume_records(plans, groups.len());
    for ((g, entries), records) in segment_entries(plans, groups.len())
        .into_iter()
        .enumerate()
        .zip(records)
    {
        let copy = VolumeTable {
            entries,
            nwvol: true,
            records,
        }
        .encode();
        let slices: Vec<IoSlice<'_>> = (0..VOLTAB_COPIES).map(|_| IoSlice::new(&copy)).collect();
        groups[g].write_logical(&slices, 0)?;
    }
    Ok(())
}

/// Where an empty volume is written: mirror groups directly (format), or
/// the I/O path of an assembled system (volume create and extend).
pub trait Sink {
    /// Writes `data` at logical byte `off` of group `g`.
    fn write(&self, g: usize, off: u64, data: &[u8]) -> Result<()>;
    /// Makes `len` logical bytes at `off` of group `g` read back as zeros.
    fn zero(&self, g: usize, off: u64, len: u64) -> Result<()>;
}

/// A [`Sink`] writing to mirror groups directly.
#[derive(Debug)]
pub struct GroupSink<'a>(pub &'a [MirrorGroup]);

impl Sink for GroupSink<'_> {
    fn write(&self, g: usize, off: u64, data: &[u8]) -> Result<()> {
        let group = &self.0[g];
        let sector = SECTOR as u64;
        let end = off + data.len() as u64;
        if off.is_multiple_of(sector) && end.is_multiple_of(sector) {
            return group.write_logical(&[IoSlice::new(data)], off);
        }
        // A part of a sector (checksum entries): written as whole sectors,
        // the rest read first. A device opened for direct I/O takes
        // nothing else, and a refused write would be taken for a bad
        // sector and redirected to the hot-fix pool.
        let lo = off / sector * sector;
        let hi = end.div_ceil(sector) * sector;
        let mut whole = vec![0u8; (hi - lo) as usize];
        group.read_logical(&mut whole, lo)?;
        whole[(off - lo) as usize..(end - lo) as usize].copy_from_slice(data);
        group.write_logical(&[IoSlice::new(&whole)], lo)
    }

    fn zero(&self, g: usize, off: u64, len: u64) -> Result<()> {
        self.0[g].zero_logical(off, len)
    }
}

/// A [`Sink`] over a [`BlockIo`] (zeros are written as zero blocks).
#[derive(Debug)]
pub struct IoSink<'a> {
    /// The I/O path.
    pub io: &'a dyn BlockIo,
    /// The volume's block size.
    pub block_size: u32,
}

impl Sink for IoSink<'_> {
    fn write(&self, g: usize, off: u64, data: &[u8]) -> Result<()> {
        self.io.write(g, self.block_size, off, data)
    }

    fn zero(&self, g: usize, off: u64, len: u64) -> Result<()> {
        let zeros = vec![0u8; (1 << 20).min(len as usize)];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(zeros.len() as u64) as usize;
            self.io.write(g, self.block_size, off + done, &zeros[..n])?;
            done += n as u64;
        }
        Ok(())
    }
}

/// Writes the FAT fragment of one segment and its copy (and, with
/// `checksums`, its checksum fragment): zeroed, holding the fragments' own
/// chains and the `extra` chains given as (first block, length). With
/// checksums, the checksums of the FAT blocks written are recorded.
pub fn write_fat_fragment(
    sink: &dyn Sink,
    s: &SegmentPlan,
    block_size: u32,
    checksums: bool,
    extra: &[(u32, u32)],
) -> Result<()> {
    let bs = block_size as u64;
    let start = s.logical_sector as u64 * SECTOR as u64;
    let f = s.fat_blocks(block_size) as u64;
    let c = s.checksum_blocks(block_size, checksums);
    // The checksum fragment is zeroed with the FAT: entries of 0 are "none
    // recorded", whatever the free space held before.
    sink.zero(s.group, start, 2 * f * bs + u64::from(c) * bs)?;
    let mut chains = vec![
        (s.first_block, f as u32),
        (s.first_block + f as u32, f as u32),
    ];
    if c > 0 {
        chains.push((s.first_block + 2 * f as u32, c));
    }
    chains.extend_from_slice(extra);
    let used = chains.iter().map(|&(b, n)| b + n).max().unwrap_or(0) - s.first_block;
    let head_bytes = (used as u64 * FAT_ENTRY_BYTES as u64).div_ceil(bs) * bs;
    let mut head = vec![0u8; head_bytes as usize];
    for (first, n) in chains {
        for i in 0..n {
            let b = first + i;
            let next = if i + 1 < n { Some(b + 1) } else { None };
            let at = (b - s.first_block) as usize * FAT_ENTRY_BYTES;
            head[at..at + FAT_ENTRY_BYTES]
                .copy_from_slice(&FatEntry::Used { seq: i, next }.encode());
        }
    }
    sink.write(s.group, start, &head)?;
    sink.write(s.group, start + f * bs, &head)?;
    if checksums {
        let mut crcs = Vec::new();
        for (k, blk) in head.chunks(bs as usize).enumerate() {
            let crc = block_crc(blk);
            crcs.push((s.first_block + k as u32, crc));
            crcs.push((s.first_block + f as u32 + k as u32, crc));
        }
        write_checksum_entries(sink, s, block_size, &crcs)?;
    }
    Ok(())
}

/// Writes the checksum entries `(volume block, crc)` of blocks of segment
/// `s` into its checksum fragment, one write per run of consecutive
/// blocks.
pub fn write_checksum_entries(
    sink: &dyn Sink,
    s: &SegmentPlan,
    block_size: u32,
    crcs: &[(u32, u32)],
) -> Result<()> {
    let mut sorted = crcs.to_vec();
    sorted.sort_unstable();
    let base = s.logical_sector as u64 * SECTOR as u64
        + u64::from(2 * s.fat_blocks(block_size)) * u64::from(block_size);
    let mut i = 0;
    while i < sorted.len() {
        let mut run = vec![];
        let first = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == first + (run.len() / 4) as u32 {
            run.extend_from_slice(&sorted[i].1.to_le_bytes());
            i += 1;
        }
        let at = u64::from(first - s.first_block) * u64::from(CHECKSUM_ENTRY_BYTES);
        sink.write(s.group, base + at, &run)?;
    }
    Ok(())
}

/// Writes one empty volume: FAT fragments and copies (free entries zeroed
/// only where the device does not read back zeros), the FAT's own chains,
/// and the directory table and its copy with the volume information entry.
pub fn write_empty_volume(groups: &[MirrorGroup], plan: &VolumePlan, now: DosTime) -> Result<()> {
    write_empty_volume_to(&GroupSink(groups), plan, now)
}

/// [`write_empty_volume`] to any [`Sink`].
pub fn write_empty_volume_to(sink: &dyn Sink, plan: &VolumePlan, now: DosTime) -> Result<()> {
    let bs = plan.block_size as u64;
    for s in &plan.segments {
        let extra: &[(u32, u32)] = if s.number == 0 {
            &[(plan.dir_block, 1), (plan.dir_copy_block, 1)]
        } else {
            &[]
        };
        write_fat_fragment(sink, s, plan.block_size, plan.checksums, extra)?;
    }
    // The directory table: the volume information entry, the rest free.
    let mut dir = vec![0u8; bs as usize];
    let info = DirEntry::VolumeInfo(VolumeInfo {
        created: now,
        owner: 0,
        modified: now,
        trustees: [Trustee {
            object_id: 0,
            rights: 0,
        }; 8],
    });
    dir[..DIRENT_BYTES].copy_from_slice(&info.encode());
    let free = DirEntry::Free.encode();
    for e in dir[DIRENT_BYTES..].chunks_mut(DIRENT_BYTES) {
        e.copy_from_slice(&free);
    }
    let s0 = &plan.segments[0];
    let base = s0.logical_sector as u64 * SECTOR as u64;
    sink.write(
        s0.group,
        base + (plan.dir_block - s0.first_block) as u64 * bs,
        &dir,
    )?;
    sink.write(
        s0.group,
        base + (plan.dir_copy_block - s0.first_block) as u64 * bs,
        &dir,
    )?;
    if plan.checksums {
        let crc = block_crc(&dir);
        write_checksum_entries(
            sink,
            s0,
            plan.block_size,
            &[(plan.dir_block, crc), (plan.dir_copy_block, crc)],
        )?;
    }
    Ok(())
}
