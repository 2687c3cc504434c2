//! Volume administration on assembled groups: creating a volume in free
//! space, extending a volume by a segment on another group, renaming. Each
//! rewrites the volume tables (all 4 copies) of every group involved, after
//! the new FAT fragments and directory are durable.

use crate::error::{Error, Result};
use crate::layout::time::DosTime;
use crate::layout::voltab::{
    SEGMENT_SECTOR_BIAS, SegmentEntry, VOLTAB_COPIES, VOLTAB_SECTORS, VolumeRecord, VolumeTable,
    block_code_for, validate_volume_name,
};
use crate::units::SECTOR;
use crate::volume::mkfs::{
    IoSink, segment_entries, volume_records, write_empty_volume_to, write_fat_fragment,
};
use crate::volume::plan::{
    MIN_SEGMENT_BLOCKS, SegmentPlan, VolumePlan, VolumeRequest, plan_volumes_after,
};
use crate::volume::{TABLE_IO_BLOCK, assemble_volumes, read_volume_table};

use super::Assembly;

/// The first free logical sector of a group: after its last segment.
pub fn free_start(sys: &Assembly, g: usize) -> u32 {
    sys.tables[g]
        .table
        .entries
        .iter()
        .map(|e| e.logical_first_sector() + e.sectors)
        .max()
        .unwrap_or(VOLTAB_SECTORS)
        .max(VOLTAB_SECTORS)
}

fn data_sectors(sys: &Assembly, g: usize) -> u32 {
    (sys.groups[g].logical_bytes / SECTOR as u64) as u32
}

fn check_writable(sys: &Assembly, g: usize) -> Result<()> {
    let grp = &sys.groups[g];
    if !grp.writable() {
        return Err(Error::PlainNetWare { device: grp.name() });
    }
    Ok(())
}

/// Writes the 4 copies of group `g`'s volume table holding `entries` and
/// `records`.
fn write_table(
    sys: &Assembly,
    g: usize,
    entries: Vec<SegmentEntry>,
    records: Vec<VolumeRecord>,
) -> Result<()> {
    let copy = VolumeTable {
        entries,
        nwvol: true,
        records,
    }
    .encode();
    let mut all = Vec::with_capacity(copy.len() * VOLTAB_COPIES);
    for _ in 0..VOLTAB_COPIES {
        all.extend_from_slice(&copy);
    }
    sys.io.write(g, TABLE_IO_BLOCK, 0, &all)
}

/// Tells the I/O path about the volumes as the tables now say (after a
/// create or extend), so that later writes keep their checksums.
fn relearn_volumes(sys: &Assembly) -> Result<()> {
    let tables = sys
        .groups
        .iter()
        .map(|g| read_volume_table(g))
        .collect::<Result<Vec<_>>>()?;
    let volumes = assemble_volumes(&sys.groups, &tables)?;
    sys.checksums.set_volumes(&volumes);
    Ok(())
}

fn check_new_name(sys: &Assembly, name: &str) -> Result<String> {
    let up = validate_volume_name(name).map_err(|e| Error::Invalid(e.to_string()))?;
    if sys.volume(&up).is_some() {
        return Err(Error::AlreadyExists(format!("volume {up}")));
    }
    Ok(up)
}

/// Creates an empty volume `name` of `size` bytes (None: all free space)
/// in the free space after the existing segments of `groups` (in order),
/// spanning them as needed; with `checksums`, the volume keeps block
/// checksums.
pub fn create_volume(
    sys: &Assembly,
    name: &str,
    size: Option<u64>,
    groups: &[usize],
    block_size: Option<u32>,
    checksums: bool,
) -> Result<VolumePlan> {
    let name = check_new_name(sys, name)?;
    for &g in groups {
        check_writable(sys, g)?;
    }
    let ds: Vec<u32> = groups.iter().map(|&g| data_sectors(sys, g)).collect();
    let starts: Vec<u32> = groups.iter().map(|&g| free_start(sys, g)).collect();
    let used: Vec<usize> = groups
        .iter()
        .map(|&g| sys.tables[g].table.entries.len())
        .collect();
    let mut plans = plan_volumes_after(
        &ds,
        &starts,
        &used,
        &[VolumeRequest {
            name: name.clone(),
            size,
        }],
        block_size,
        checksums,
    )?;
    let mut plan = plans.remove(0);
    for s in &mut plan.segments {
        s.group = groups[s.group];
    }
    write_empty_volume_to(
        &IoSink {
            io: sys.io.as_ref(),
            block_size: plan.block_size,
        },
        &plan,
        DosTime::now(),
    )?;
    sys.io.barrier()?;
    let new = segment_entries(std::slice::from_ref(&plan), sys.groups.len());
    let new_records = volume_records(std::slice::from_ref(&plan), sys.groups.len());
    for ((g, add), add_records) in new.into_iter().enumerate().zip(new_records) {
        if add.is_empty() {
            continue;
        }
        let mut entries = sys.tables[g].table.entries.clone();
        entries.extend(add);
        let mut records = sys.tables[g].table.records.clone();
        records.extend(add_records);
        write_table(sys, g, entries, records)?;
    }
    sys.io.sync()?;
    relearn_volumes(sys)?;
    Ok(plan)
}

/// Adds the free space of `groups` (after their existing segments) to
/// volume `name` as new segments: each gets its own FAT fragment and copy,
/// then every segment entry of the volume, in every group, gets the new
/// total. Returns the new segments.
pub fn extend_volume(sys: &Assembly, name: &str, groups: &[usize]) -> Result<Vec<SegmentPlan>> {
    let vol = sys
        .volume(name)
        .ok_or_else(|| Error::NotFound(format!("volume {}", name.to_ascii_uppercase())))?;
    vol.writable(sys.io.as_ref())?;
    let bs = vol.block_size;
    let spb = bs / SECTOR as u32;
    let mut total = u64::from(vol.total_blocks);
    let mut number = vol
        .segments
        .iter()
        .map(|s| s.entry.segment)
        .max()
        .unwrap_or(0);
    let mut added: Vec<SegmentPlan> = Vec::new();
    for &g in groups {
        check_writable(sys, g)?;
        let start = free_start(sys, g);
        let blocks = data_sectors(sys, g).saturating_sub(start) / spb;
        let used =
            sys.tables[g].table.entries.len() + added.iter().filter(|s| s.group == g).count();
        let overhead = 2 * crate::layout::fat::fat_blocks(blocks, bs)
            + if vol.checksums {
                crate::layout::checksum::checksum_blocks(blocks, bs)
            } else {
                0
            };
        if blocks < MIN_SEGMENT_BLOCKS || overhead + 1 > blocks {
            return Err(Error::Invalid(format!(
                "{}: no free space left for a segment of {} ({} free, in {} blocks of {})",
                sys.groups[g].name(),
                vol.name,
                crate::units::format_size(u64::from(blocks) * u64::from(bs)),
                blocks,
                crate::units::format_size(u64::from(bs))
            )));
        }
        if used >= crate::layout::voltab::MAX_SEGMENT_ENTRIES {
            return Err(Error::Invalid(format!(
                "{}: its volume table is full",
                sys.groups[g].name()
            )));
        }
        if added.iter().any(|s| s.group == g) {
            return Err(Error::Invalid(format!(
                "{} is named twice",
                sys.groups[g].name()
            )));
        }
        if total + u64::from(blocks) >= u64::from(u32::MAX) {
            return Err(Error::TooManyBlocks {
                volume: vol.name.clone(),
                block_size_chosen: false,
            });
        }
        number = number
            .checked_add(1)
            .ok_or_else(|| Error::Invalid(format!("volume {}: too many segments", vol.name)))?;
        added.push(SegmentPlan {
            group: g,
            number,
            logical_sector: start,
            blocks,
            first_block: total as u32,
        });
        total += u64::from(blocks);
    }
    if added.is_empty() {
        return Err(Error::Invalid("no device to extend onto".into()));
    }
    let sink = IoSink {
        io: sys.io.as_ref(),
        block_size: bs,
    };
    for s in &added {
        write_fat_fragment(&sink, s, bs, vol.checksums, &[])?;
    }
    sys.io.barrier()?;
    let code = block_code_for(bs).unwrap_or(0);
    for g in 0..sys.groups.len() {
        let mut entries = sys.tables[g].table.entries.clone();
        let mut records = sys.tables[g].table.records.clone();
        let mut changed = false;
        for e in entries.iter_mut().filter(|e| e.name == vol.name) {
            e.total_blocks = total as u32;
            changed = true;
        }
        if vol.checksums
            && added.iter().any(|s| s.group == g)
            && !sys.tables[g].table.has_checksums(&vol.name)
        {
            records.push(VolumeRecord::checksums(&vol.name));
        }
        for s in added.iter().filter(|s| s.group == g) {
            entries.push(SegmentEntry {
                name: vol.name.clone(),
                segment: s.number,
                first_sector: s.logical_sector + SEGMENT_SECTOR_BIAS,
                sectors: s.blocks * spb,
                total_blocks: total as u32,
                first_block: s.first_block,
                block_code: code,
                dir_block: vol.dir_block,
                dir_copy_block: vol.dir_copy_block,
            });
            changed = true;
        }
        if changed {
            write_table(sys, g, entries, records)?;
        }
    }
    sys.io.sync()?;
    relearn_volumes(sys)?;
    Ok(added)
}

/// Renames volume `old` to `new` in every group's table.
pub fn rename_volume(sys: &Assembly, old: &str, new: &str) -> Result<String> {
    let vol = sys
        .volume(old)
        .ok_or_else(|| Error::NotFound(format!("volume {}", old.to_ascii_uppercase())))?;
    let new = check_new_name(sys, new)?;
    vol.check_complete()?;
    let gs: Vec<usize> = vol.segments.iter().map(|s| s.group).collect();
    for &g in &gs {
        check_writable(sys, g)?;
    }
    for g in 0..sys.groups.len() {
        if !gs.contains(&g) {
            continue;
        }
        let mut entries = sys.tables[g].table.entries.clone();
        for e in entries.iter_mut().filter(|e| e.name == vol.name) {
            e.name = new.clone();
        }
        let mut records = sys.tables[g].table.records.clone();
        for r in records.iter_mut().filter(|r| r.name == vol.name) {
            r.name = new.clone();
        }
        write_table(sys, g, entries, records)?;
    }
    sys.io.sync()?;
    Ok(new)
}
