//! Writing empty volumes: the volume tables of each logical partition, and
//! per volume its FAT fragments (with copies) and an empty directory table
//! (with its copy).

use std::io::IoSlice;

use crate::cache::BlockIo;
use crate::error::Result;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, Trustee, VolumeInfo};
use crate::layout::fat::{FAT_ENTRY_BYTES, FatEntry};
use crate::layout::time::DosTime;
use crate::layout::voltab::{SegmentEntry, VOLTAB_COPIES, VolumeTable, block_code_for};
use crate::mirror::MirrorGroup;

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
                sectors: s.blocks * (p.block_size / 512),
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

/// Writes the 4 copies of each group's volume table.
pub fn write_volume_tables(groups: &[MirrorGroup], plans: &[VolumePlan]) -> Result<()> {
    for (g, entries) in segment_entries(plans, groups.len()).into_iter().enumerate() {
        let copy = VolumeTable {
            entries,
            nwvol: true,
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
        self.0[g].write_logical(&[IoSlice::new(data)], off)
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

/// Writes the FAT fragment of one segment and its copy: zeroed, holding
/// the fragment's own two chains and the `extra` chains given as (first
/// block, length).
pub fn write_fat_fragment(
    sink: &dyn Sink,
    s: &SegmentPlan,
    block_size: u32,
    extra: &[(u32, u32)],
) -> Result<()> {
    let bs = block_size as u64;
    let start = s.logical_sector as u64 * 512;
    let f = s.fat_blocks(block_size) as u64;
    sink.zero(s.group, start, 2 * f * bs)?;
    let mut chains = vec![
        (s.first_block, f as u32),
        (s.first_block + f as u32, f as u32),
    ];
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
        write_fat_fragment(sink, s, plan.block_size, extra)?;
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
    let base = s0.logical_sector as u64 * 512;
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
    Ok(())
}
