//! Writing empty volumes: the volume tables of each logical partition, and
//! per volume its FAT fragments (with copies) and an empty directory table
//! (with its copy).

use std::io::IoSlice;

use crate::error::Result;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, Trustee, VolumeInfo};
use crate::layout::fat::{FAT_ENTRY_BYTES, FatEntry};
use crate::layout::time::DosTime;
use crate::layout::voltab::{SegmentEntry, VOLTAB_COPIES, VolumeTable, block_code_for};
use crate::mirror::MirrorGroup;

use super::plan::VolumePlan;

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

/// Writes one empty volume: FAT fragments and copies (free entries zeroed
/// only where the device does not read back zeros), the FAT's own chains,
/// and the directory table and its copy with the volume information entry.
pub fn write_empty_volume(groups: &[MirrorGroup], plan: &VolumePlan, now: DosTime) -> Result<()> {
    let bs = plan.block_size as u64;
    for s in &plan.segments {
        let group = &groups[s.group];
        let start = s.logical_sector as u64 * 512;
        let f = s.fat_blocks(plan.block_size) as u64;
        group.zero_logical(start, 2 * f * bs)?;
        // Chains to record in this fragment, as (first block, length).
        let mut chains = vec![
            (s.first_block, f as u32),
            (s.first_block + f as u32, f as u32),
        ];
        if s.number == 0 {
            chains.push((plan.dir_block, 1));
            chains.push((plan.dir_copy_block, 1));
        }
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
        group.write_logical(&[IoSlice::new(&head)], start)?;
        group.write_logical(&[IoSlice::new(&head)], start + f * bs)?;
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
    let g0 = &groups[s0.group];
    let base = s0.logical_sector as u64 * 512;
    g0.write_logical(
        &[IoSlice::new(&dir)],
        base + (plan.dir_block - s0.first_block) as u64 * bs,
    )?;
    g0.write_logical(
        &[IoSlice::new(&dir)],
        base + (plan.dir_copy_block - s0.first_block) as u64 * bs,
    )?;
    Ok(())
}
